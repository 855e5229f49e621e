package server

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/straittest"
	"github.com/straitproxy/strait/internal/testpki"
)

// namedTLSBackends starts one TLS server per name, each with its own
// certificate, answering its name after the handshake; it returns their
// addresses and a pool trusting them.
func namedTLSBackends(t *testing.T, names ...string) (map[string]string, *x509.CertPool) {
	t.Helper()
	root := testpki.NewRoot(t, testpki.Spec{CommonName: "preread test root"})
	pool := x509.NewCertPool()
	pool.AddCert(root.Cert)
	addrs := map[string]string{}
	for _, name := range names {
		leaf := root.Issue(t, testpki.Spec{CommonName: name, DNSNames: []string{name}})
		cfg := &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate()}}
		addrs[name] = straittest.ServeTCP(t, func(c net.Conn) {
			tc := tls.Server(c, cfg)
			tc.SetDeadline(time.Now().Add(10 * time.Second))
			if tc.Handshake() == nil {
				io.WriteString(tc, name)
			}
			tc.Close()
		})
	}
	return addrs, pool
}

// askName connects through addr with TLS for sni and returns what the
// server behind said and the name on its certificate.
func askName(t *testing.T, addr, sni string, pool *x509.CertPool) (string, string, error) {
	t.Helper()
	tc, err := tlsDial(t, addr, &tls.Config{ServerName: sni, RootCAs: pool})
	if err != nil {
		return "", "", err
	}
	defer tc.Close()
	b, err := io.ReadAll(tc)
	return string(b), tc.ConnectionState().PeerCertificates[0].Subject.CommonName, err
}

func TestSSLPrereadRoutesByServerNameWithoutDecrypting(t *testing.T) {
	dir := t.TempDir()
	names := []string{"a.example", "b.example", "c.example"}
	backends, pool := namedTLSBackends(t, names...)
	ln, port := listenPort(t)
	logPath := filepath.Join(dir, "access.log")
	ts := startServer(t, mustConfig(t, dir, fmt.Sprintf(`
stream {
    upstream b_group { server %s; }
    map $ssl_preread_server_name $up {
        a.example %s;
        b.example b_group;
        default   %s;
    }
    log_format pre '[$ssl_preread_server_name] [$ssl_preread_alpn_protocols] [$ssl_preread_protocol] $upstream_addr $status';
    server {
        listen 127.0.0.1:%s;
        ssl_preread on;
        proxy_pass $up;
        access_log %s pre;
    }
}`, backends["b.example"], backends["a.example"], backends["c.example"], port, logPath)), ln)
	for _, name := range []string{"a.example", "b.example", "c.example", "A.EXAMPLE"} {
		got, cn, err := askName(t, ln.Addr().String(), name, pool)
		want := strings.ToLower(name)
		if name == "A.EXAMPLE" {
			want = "a.example" // map keys are case-insensitive
		}
		if err != nil || got != want || cn != want {
			t.Fatalf("%s: got %q from certificate %q (%v), want %q", name, got, cn, err, want)
		}
	}
	// ALPN and version are read too.
	tc, err := tlsDial(t, ln.Addr().String(), &tls.Config{ServerName: "c.example", RootCAs: pool, NextProtos: []string{"h2", "http/1.1"}})
	if err == nil {
		io.ReadAll(tc)
		tc.Close()
	}
	waitFor(t, "access log", func() bool { return strings.Count(readFile(t, logPath), "\n") == 5 })
	lines := strings.Split(strings.TrimSpace(readFile(t, logPath)), "\n")
	// Records are written as sessions end, not in the order they began.
	for _, want := range []string{
		"[a.example] [] [TLSv1.3] " + backends["a.example"] + " 200",
		"[b.example] [] [TLSv1.3] " + backends["b.example"] + " 200",
		"[c.example] [] [TLSv1.3] " + backends["c.example"] + " 200",
		"[A.EXAMPLE] [] [TLSv1.3] " + backends["a.example"] + " 200",
		"[c.example] [h2,http/1.1] [TLSv1.3] " + backends["c.example"] + " 200",
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("access log lacks %q:\n%s\n%s", want, strings.Join(lines, "\n"), ts.log)
		}
	}
}

func TestSSLPrereadHelloSplitOverSegments(t *testing.T) {
	dir := t.TempDir()
	backend := straittest.ServeTCP(t, straittest.Echo)
	ln, port := listenPort(t)
	startServer(t, mustConfig(t, dir, fmt.Sprintf(`
stream {
    server {
        listen 127.0.0.1:%s;
        ssl_preread on;
        proxy_pass %s;
    }
}`, port, backend)), ln)
	hello := clientHelloBytes(t, "split.example")
	c := straittest.Dial(t, ln.Addr().String())
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	// One byte at a time: strait must wait for the whole hello and pass
	// every byte on unchanged.
	for i := range hello {
		if _, err := c.Write(hello[i : i+1]); err != nil {
			t.Fatal(err)
		}
	}
	got := make([]byte, len(hello))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != string(hello) {
		t.Fatalf("echoed %d bytes (%v), not the hello", len(got), err)
	}
}

func TestSSLPrereadNotTLSGoesOn(t *testing.T) {
	dir := t.TempDir()
	backend := straittest.ServeTCP(t, straittest.Echo)
	ln, port := listenPort(t)
	logPath := filepath.Join(dir, "access.log")
	startServer(t, mustConfig(t, dir, fmt.Sprintf(`
stream {
    log_format pre '$ssl_preread_server_name $status';
    server {
        listen 127.0.0.1:%s;
        ssl_preread on;
        proxy_pass %s;
        access_log %s pre;
    }
}`, port, backend, logPath)), ln)
	c := straittest.Dial(t, ln.Addr().String())
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if err := echoOnce(c, "GET / HTTP/1.0\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	c.Close()
	waitFor(t, "access log", func() bool { return readFile(t, logPath) == "- 200\n" })
}

func TestSSLPrereadBufferFullAndTimeout(t *testing.T) {
	dir := t.TempDir()
	backend := straittest.ServeTCP(t, straittest.Echo)
	ln, port := listenPort(t)
	logPath := filepath.Join(dir, "access.log")
	ts := startServer(t, mustConfig(t, dir, fmt.Sprintf(`
stream {
    log_format pre '$status';
    server {
        listen 127.0.0.1:%s;
        ssl_preread on;
        preread_buffer_size 64;
        preread_timeout 200ms;
        proxy_pass %s;
        access_log %s pre;
    }
}`, port, backend, logPath)), ln)
	hello := clientHelloBytes(t, "long.example")
	// A hello larger than the buffer: 400, "preread buffer full".
	c := straittest.Dial(t, ln.Addr().String())
	c.Write(hello)
	io.ReadAll(c)
	c.Close()
	waitFor(t, "status 400", func() bool { return readFile(t, logPath) == "400\n" })
	if !strings.Contains(ts.log.String(), "preread buffer full while prereading client data") {
		t.Errorf("log: %s", ts.log)
	}
	// A client that sends part of a hello and waits: 200 at
	// preread_timeout, without a word.
	c = straittest.Dial(t, ln.Addr().String())
	c.Write(hello[:10])
	io.ReadAll(c)
	c.Close()
	waitFor(t, "status 200", func() bool { return readFile(t, logPath) == "400\n200\n" })
}

// clientHelloBytes returns the first record crypto/tls sends for sni.
func clientHelloBytes(t *testing.T, sni string) []byte {
	t.Helper()
	c, s := net.Pipe()
	defer s.Close()
	go func() {
		tls.Client(c, &tls.Config{ServerName: sni}).Handshake()
		c.Close()
	}()
	var out []byte
	buf := make([]byte, 4096)
	for len(out) < 5 || len(out) < 5+(int(out[3])<<8|int(out[4])) {
		n, err := s.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			t.Fatal(err)
		}
	}
	return out[:5+(int(out[3])<<8|int(out[4]))]
}
