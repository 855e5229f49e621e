package interop

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/straittest"
	"github.com/straitproxy/strait/internal/testpki"
)

// TestSSLPrereadAgreesWithNginx serves one ssl_preread configuration with
// nginx and with strait: TLS passthrough by name (map
// $ssl_preread_server_name to proxy_pass $up) driven by openssl
// s_client -servername against Go TLS upstreams that answer their own
// name, and a block returning the $ssl_preread_* variables for
// ClientHellos of several shapes, junk included.
func TestSSLPrereadAgreesWithNginx(t *testing.T) {
	openssl := needTool(t, "openssl")
	nginx := needTool(t, "nginx")
	if _, err := os.Stat(nginxStreamModule); err != nil {
		needTool(t, nginxStreamModule)
	}
	dir := t.TempDir()
	root := testpki.NewRoot(t, testpki.Spec{CommonName: "Preread Root"})
	rootFile := testpki.WriteCerts(t, dir, "preread-root.crt", root.Cert)
	backends := map[string]string{}
	for _, name := range []string{"a.test", "b.test", "other.test"} {
		leaf := root.Issue(t, testpki.Spec{CommonName: name, DNSNames: []string{name}})
		cfg := &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate()}}
		backends[name] = straittest.ServeTCP(t, func(c net.Conn) {
			tc := tls.Server(c, cfg)
			tc.SetDeadline(time.Now().Add(waitLimit))
			if tc.Handshake() == nil {
				io.WriteString(tc, name+"\n")
			}
			tc.Close()
		})
	}
	config := func(route, vars string) string {
		return fmt.Sprintf(`
    map $ssl_preread_server_name $up {
        a.test %s;
        b.test %s;
        default %s;
    }
    server {
        listen %s;
        ssl_preread on;
        proxy_pass $up;
    }
    server {
        listen %s;
        ssl_preread on;
        preread_timeout 2s;
        return "[$ssl_preread_server_name] [$ssl_preread_alpn_protocols] [$ssl_preread_protocol]\n";
    }`, backends["a.test"], backends["b.test"], backends["other.test"], route, vars)
	}
	ngRoute, ngRouteAddr := listenAddr(t)
	ngVars, ngVarsAddr := listenAddr(t)
	stRoute, stRouteAddr := listenAddr(t)
	stVars, stVarsAddr := listenAddr(t)
	ndir := t.TempDir()
	conf := testpki.WriteFile(t, ndir, "nginx.conf", []byte(fmt.Sprintf("load_module %s;\nevents {}\nstream {%s\n}\n",
		nginxStreamModule, config(ngRouteAddr, ngVarsAddr))))
	launchCmd(t, true, exec.Command(nginx, "-p", ndir, "-c", conf, "-e", "stderr",
		"-g", "daemon off; worker_processes 1; pid "+filepath.Join(ndir, "nginx.pid")+"; error_log stderr info;"),
		"NGINX", ngRoute, ngVars)
	startTLSFront(t, dir, config(stRouteAddr, stVarsAddr), stRoute, stVars)

	for _, name := range []string{"a.test", "b.test", "other.test"} {
		for _, proto := range []string{"-tls1_2", "-tls1_3"} {
			args := []string{proto, "-CAfile", rootFile, "-verify_return_error", "-servername", name}
			ng := viewOf(sClient(t, openssl, ngRouteAddr, args...))
			st := viewOf(sClient(t, openssl, stRouteAddr, args...))
			if st.Subject != name || fmt.Sprint(ng) != fmt.Sprint(st) {
				t.Errorf("%s %s: s_client sees\nnginx:  %+v\nstrait: %+v", name, proto, ng, st)
			}
		}
	}

	hello := func(cfg *tls.Config) []byte { return firstFlight(t, cfg) }
	h13 := hello(&tls.Config{ServerName: "a.test", NextProtos: []string{"h2", "http/1.1"}})
	inputs := map[string][]byte{
		"go hello":        h13,
		"go tls1.2 only":  hello(&tls.Config{ServerName: "B.Test", MaxVersion: tls.VersionTLS12}),
		"no sni":          hello(&tls.Config{InsecureSkipVerify: true}),
		"three records":   reframeHello(h13, len(h13)/3),
		"one-byte record": reframeHello(h13, 1),
		"sslv2 header":    {0x80, 0x2e, 1, 3, 1, 0, 0x15, 0, 0, 0, 0x10},
		"http":            []byte("GET / HTTP/1.0\r\n\r\n"),
		"server hello":    {0x16, 3, 1, 0, 4, 2, 0, 0, 0},
	}
	for name, in := range inputs {
		ng := sendAndRead(t, ngVarsAddr, in)
		st := sendAndRead(t, stVarsAddr, in)
		if ng != st {
			t.Errorf("%s: nginx %q, strait %q", name, ng, st)
		}
		t.Logf("%s: %q", name, ng)
	}
}

// firstFlight returns the ClientHello record crypto/tls sends with cfg.
func firstFlight(t *testing.T, cfg *tls.Config) []byte {
	t.Helper()
	c, s := net.Pipe()
	defer s.Close()
	go func() {
		tls.Client(c, cfg).Handshake()
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

// reframeHello cuts the handshake of one record into records of size.
func reframeHello(rec []byte, size int) []byte {
	body := rec[5:]
	var out []byte
	for len(body) > 0 {
		n := min(size, len(body))
		out = append(out, 0x16, 3, 1, byte(n>>8), byte(n))
		out = append(out, body[:n]...)
		body = body[n:]
	}
	return out
}

// sendAndRead writes in and returns everything read until the server
// closes.
func sendAndRead(t *testing.T, addr string, in []byte) string {
	t.Helper()
	c := straittest.Dial(t, addr)
	defer c.Close()
	c.SetDeadline(time.Now().Add(waitLimit))
	c.Write(in)
	b, _ := io.ReadAll(c)
	return string(b)
}
