package server

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/straittest"
	"github.com/straitproxy/strait/internal/testpki"
)

// nameCerts writes one certificate per name, all issued by one root.
func nameCerts(t *testing.T, dir string, names ...string) (map[string][2]string, *x509.CertPool) {
	t.Helper()
	root := testpki.NewRoot(t, testpki.Spec{CommonName: "strait names root"})
	pool := x509.NewCertPool()
	pool.AddCert(root.Cert)
	out := map[string][2]string{}
	for _, n := range names {
		leaf := root.Issue(t, testpki.Spec{CommonName: n, DNSNames: []string{n}})
		c, k := testpki.WriteLeaf(t, dir, strings.ReplaceAll(n, ".", "-"), leaf)
		out[n] = [2]string{c, k}
	}
	return out, pool
}

// dialName connects with TLS asking for name and returns the served
// certificate's common name and what the block answered.
func dialName(t *testing.T, addr, name string, pool *x509.CertPool) (string, string, error) {
	t.Helper()
	raw := straittest.Dial(t, addr)
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(10 * time.Second))
	// The certificate is checked below by name; verification would
	// refuse the default block's certificate for an unknown name.
	tc := tls.Client(raw, &tls.Config{ServerName: name, InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		return "", "", err
	}
	cn := tc.ConnectionState().PeerCertificates[0].Subject.CommonName
	b, err := io.ReadAll(tc)
	if err != nil && len(b) == 0 {
		return cn, "", err
	}
	return cn, string(b), nil
}

func TestServerNameChoosesBlockDuringHandshake(t *testing.T) {
	dir := t.TempDir()
	certs, pool := nameCerts(t, dir, "default.test", "a.test", "b.example.test")
	for _, reject := range []bool{false, true} {
		t.Run(fmt.Sprintf("reject=%v", reject), func(t *testing.T) {
			ln, port := listenPort(t)
			logPath := filepath.Join(t.TempDir(), "access.log")
			rejectLine := ""
			if reject {
				rejectLine = "ssl_reject_handshake on;"
			}
			ts := startServer(t, mustConfig(t, dir, fmt.Sprintf(`
stream {
    log_format names '$server_name|$ssl_server_name|$label|$status';
    access_log %[1]s names;
    server {
        listen 127.0.0.1:%[2]s ssl;
        server_name a.test;
        ssl_certificate %[3]s;
        ssl_certificate_key %[4]s;
        return "block a";
    }
    server {
        listen 127.0.0.1:%[2]s ssl default_server;
        ssl_certificate %[5]s;
        ssl_certificate_key %[6]s;
        %[9]s
        return "default block";
    }
    server {
        listen 127.0.0.1:%[2]s ssl;
        server_name ~^(?<label>[a-z]+)\.example\.test$;
        ssl_certificate %[7]s;
        ssl_certificate_key %[8]s;
        return "block b $label";
    }
}`, logPath, port, certs["a.test"][0], certs["a.test"][1], certs["default.test"][0], certs["default.test"][1],
				certs["b.example.test"][0], certs["b.example.test"][1], rejectLine)), ln)
			addr := "127.0.0.1:" + port
			cases := []struct{ name, cn, reply string }{
				{"a.test", "a.test", "block a"},
				{"A.TEST", "a.test", "block a"}, // crypto/tls drops a trailing dot
				{"b.example.test", "b.example.test", "block b b"},
				{"other.test", "default.test", "default block"},
			}
			for _, c := range cases {
				cn, reply, err := dialName(t, addr, c.name, pool)
				if reject && c.cn == "default.test" {
					if err == nil || !strings.Contains(err.Error(), "unrecognized name") {
						t.Errorf("%s: err %v, want unrecognized_name", c.name, err)
					}
					continue
				}
				if err != nil || cn != c.cn || reply != c.reply {
					t.Errorf("%s: certificate %q reply %q err %v; want %q %q", c.name, cn, reply, err, c.cn, c.reply)
				}
			}
			lines := waitForFileLines(t, logPath, len(cases))
			sort.Strings(lines)
			want := []string{"a.test|A.TEST|-|200", "a.test|a.test|-|200", `~^(?<label>[a-z]+)\x5C.example\x5C.test$|b.example.test|b|200`}
			if reject {
				want = append([]string{"|-|-|500"}, want...)
			} else {
				want = append([]string{"|other.test|-|200"}, want...)
			}
			sort.Strings(want)
			if strings.Join(lines, "\n") != strings.Join(want, "\n") {
				t.Errorf("access log:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
			}
			if reject && !strings.Contains(ts.log.String(), "handshake rejected while SSL handshaking") {
				t.Errorf("error log:\n%s", ts.log.String())
			}
		})
	}
}

// clientHello returns the first flight of a TLS client asking for name.
func clientHello(t *testing.T, name string) []byte {
	t.Helper()
	a, b := net.Pipe()
	go func() {
		tls.Client(a, &tls.Config{ServerName: name, InsecureSkipVerify: true}).Handshake()
	}()
	defer a.Close()
	defer b.Close()
	var buf []byte
	tmp := make([]byte, 4096)
	for len(buf) < 5 || len(buf) < 5+int(buf[3])<<8|int(buf[4]) {
		n, err := b.Read(tmp)
		if err != nil {
			t.Fatal(err)
		}
		buf = append(buf, tmp[:n]...)
	}
	return buf
}

// sendHello sends a ClientHello for name and returns what came back.
func sendHello(t *testing.T, addr, name string) string {
	t.Helper()
	c := straittest.Dial(t, addr)
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(clientHello(t, name)); err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(c)
	return string(b)
}

func TestServerNameChoosesBlockAfterPreread(t *testing.T) {
	dir := t.TempDir()
	ln, port := listenPort(t)
	startServer(t, mustConfig(t, dir, fmt.Sprintf(`
stream {
    server {
        listen 127.0.0.1:%[1]s;
        ssl_preread on;
        return "default $ssl_preread_server_name";
    }
    server {
        listen 127.0.0.1:%[1]s;
        server_name .mail.test;
        return "mail $server_name";
    }
    server {
        listen 127.0.0.1:%[1]s;
        server_name www.git.*;
        return "git $server_name";
    }
}`, port)), ln)
	addr := "127.0.0.1:" + port
	for name, want := range map[string]string{
		"mail.test":        "mail mail.test",
		"imap.mail.test":   "mail mail.test",
		"WWW.git.example.": "git www.git.*",
		"other.test":       "default other.test",
	} {
		if got := sendHello(t, addr, name); got != want {
			t.Errorf("%s: got %q, want %q", name, got, want)
		}
	}
}

func TestPassHandsConnectionToAnotherListen(t *testing.T) {
	dir := t.TempDir()
	certs, pool := nameCerts(t, dir, "a.test", "b.test")
	plain, plainPort := listenPort(t)
	pre, prePort := listenPort(t)
	tlsLn, tlsPort := listenPort(t)
	logPath := filepath.Join(dir, "access.log")
	ts := startServer(t, mustConfig(t, dir, fmt.Sprintf(`
stream {
    log_format p '$server_port $server_name $ssl_server_name $status';
    access_log %[1]s p;
    map $ssl_preread_server_name $by_name {
        default 127.0.0.1:%[4]s;
        lost.test 127.0.0.1:1;
    }
    server {
        listen 127.0.0.1:%[2]s;
        pass 127.0.0.1:%[4]s;
    }
    server {
        listen 127.0.0.1:%[3]s;
        ssl_preread on;
        pass $by_name;
    }
    server {
        listen 127.0.0.1:%[4]s ssl;
        server_name a.test;
        ssl_certificate %[5]s;
        ssl_certificate_key %[6]s;
        return "a over tls";
    }
    server {
        listen 127.0.0.1:%[4]s ssl;
        server_name b.test;
        ssl_certificate %[7]s;
        ssl_certificate_key %[8]s;
        return "b over tls";
    }
}`, logPath, plainPort, prePort, tlsPort, certs["a.test"][0], certs["a.test"][1], certs["b.test"][0], certs["b.test"][1])),
		plain, pre, tlsLn)
	for _, c := range []struct{ port, name, cn, reply string }{
		{plainPort, "a.test", "a.test", "a over tls"},
		{prePort, "b.test", "b.test", "b over tls"},
	} {
		cn, reply, err := dialName(t, "127.0.0.1:"+c.port, c.name, pool)
		if err != nil || cn != c.cn || reply != c.reply {
			t.Errorf("via %s %s: certificate %q reply %q err %v", c.port, c.name, cn, reply, err)
		}
	}
	// An address no listen has ends the session as nginx does.
	sendHello(t, "127.0.0.1:"+prePort, "lost.test")
	lines := waitForFileLines(t, logPath, 3)
	sort.Strings(lines)
	want := []string{prePort + "  - 200", tlsPort + " a.test a.test 200", tlsPort + " b.test b.test 200"}
	sort.Strings(want)
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("access log:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(ts.log.String(), `port not found for "127.0.0.1:1" while passing connection to port`) {
		t.Errorf("error log:\n%s", ts.log.String())
	}
}
