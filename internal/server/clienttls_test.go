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

// clientTLSFixture is strait's server certificate, written to dir, and a
// pool trusting it.
type clientTLSFixture struct {
	certPath, keyPath string
	rootPool          *x509.CertPool
}

func newClientTLSFixture(t *testing.T, dir string) *clientTLSFixture {
	t.Helper()
	root := testpki.NewRoot(t, testpki.Spec{CommonName: "strait test root"})
	srv := root.Issue(t, testpki.Spec{CommonName: "strait.test", DNSNames: []string{"strait.test"}})
	f := &clientTLSFixture{}
	f.certPath, f.keyPath = testpki.WriteLeaf(t, dir, "server", srv)
	f.rootPool = x509.NewCertPool()
	f.rootPool.AddCert(root.Cert)
	return f
}

// tlsDial connects to addr with TLS and returns the connection.
func tlsDial(t *testing.T, addr string, cfg *tls.Config) (*tls.Conn, error) {
	t.Helper()
	raw := straittest.Dial(t, addr)
	raw.SetDeadline(time.Now().Add(10 * time.Second))
	tc := tls.Client(raw, cfg)
	if err := tc.Handshake(); err != nil {
		raw.Close()
		return nil, err
	}
	return tc, nil
}

func TestListenSSLTerminatesTLS(t *testing.T) {
	dir := t.TempDir()
	f := newClientTLSFixture(t, dir)
	backend := straittest.ServeTCP(t, straittest.Echo)
	ln, port := listenPort(t)
	logPath := filepath.Join(dir, "access.log")
	ts := startServer(t, mustConfig(t, dir, fmt.Sprintf(`
stream {
    log_format tls '$ssl_protocol $ssl_session_reused $status';
    server {
        listen 127.0.0.1:%s ssl;
        ssl_certificate %s;
        ssl_certificate_key %s;
        access_log %s tls;
        proxy_pass %s;
    }
}`, port, f.certPath, f.keyPath, logPath, backend)), ln)
	addr := "127.0.0.1:" + port
	cfg := &tls.Config{RootCAs: f.rootPool, ServerName: "strait.test", MaxVersion: tls.VersionTLS12}
	tc, err := tlsDial(t, addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := echoOnce(tc, "hello over tls"); err != nil {
		t.Fatal(err)
	}
	tc.Close()
	// A client that does not speak TLS is refused in nginx's words.
	c := straittest.Dial(t, addr)
	io.WriteString(c, "GET / HTTP/1.0\r\n\r\n")
	io.ReadAll(c)
	c.Close()
	waitFor(t, "two log lines", func() bool { return strings.Count(readFile(t, logPath), "\n") == 2 })
	lines := strings.Split(strings.TrimSpace(readFile(t, logPath)), "\n")
	sort.Strings(lines)
	if got := strings.Join(lines, "\n"); got != "- - 500\nTLSv1.2 . 200" {
		t.Errorf("access log:\n%s", got)
	}
	if !strings.Contains(ts.log.String(), "SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number) while SSL handshaking, client: 127.0.0.1") {
		t.Errorf("error log:\n%s", ts.log.String())
	}
	m := ts.MetricsSnapshot().ClientTLS
	if m.New != 1 || m.Resumed != 0 || m.Failures["not_tls"] != 1 {
		t.Errorf("metrics %+v", m)
	}
}

// TestStopEndsSessionsInClientHandshake: a client that never finishes
// its handshake is cut at once by a stop and within
// worker_shutdown_timeout by a graceful stop or reload, however long
// ssl_handshake_timeout is.
func TestStopEndsSessionsInClientHandshake(t *testing.T) {
	for _, tc := range stopCases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			f := newClientTLSFixture(t, dir)
			sock := filepath.Join(dir, "in.sock")
			cfg := mustConfig(t, dir, fmt.Sprintf(`
worker_shutdown_timeout 100ms;
stream {
    log_format st $status;
    server {
        listen unix:%s ssl;
        ssl_certificate %s;
        ssl_certificate_key %s;
        ssl_handshake_timeout 1h;
        proxy_pass 127.0.0.1:1;
        access_log {{dir}}/access.log st;
    }
}`, sock, f.certPath, f.keyPath))
			ts := startServer(t, cfg)
			c, err := net.Dial("unix", sock)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			waitFor(t, "the session to start", func() bool { return strings.Contains(ts.log.String(), "*1 client unix: connected") })
			stopAndWaitForClose(t, ts, cfg, tc, c)
			access := filepath.Join(dir, "access.log")
			waitFor(t, "the access record", func() bool { return readFile(t, access) != "" })
			if got := readFile(t, access); got != "200\n" {
				t.Errorf("access log %q, want status 200", got)
			}
			log := ts.log.String()
			cut := "*1 shutdown timeout while SSL handshaking, client: "
			if tc.graceful != strings.Contains(log, cut) || strings.Contains(log, "timed out") {
				t.Errorf("graceful %v, error log:\n%s", tc.graceful, log)
			}
		})
	}
}

// TestClientHandshakeTimeout: ssl_handshake_timeout ends a silent
// client's session with status 500, as nginx finalizes it.
func TestClientHandshakeTimeout(t *testing.T) {
	dir := t.TempDir()
	f := newClientTLSFixture(t, dir)
	ln, port := listenPort(t)
	ts := startServer(t, mustConfig(t, dir, fmt.Sprintf(`
stream {
    log_format st $status;
    server {
        listen 127.0.0.1:%s ssl;
        ssl_certificate %s;
        ssl_certificate_key %s;
        ssl_handshake_timeout 50ms;
        proxy_pass 127.0.0.1:1;
        access_log {{dir}}/access.log st;
    }
}`, port, f.certPath, f.keyPath)), ln)
	c := straittest.Dial(t, "127.0.0.1:"+port)
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read: %v, want EOF", err)
	}
	access := filepath.Join(dir, "access.log")
	waitFor(t, "the access record", func() bool { return readFile(t, access) != "" })
	if got := readFile(t, access); got != "500\n" {
		t.Errorf("access log %q", got)
	}
	if !strings.Contains(ts.log.String(), "[info] 1#1: *1 client timed out (110: Connection timed out) while SSL handshaking, client: 127.0.0.1") {
		t.Errorf("error log:\n%s", ts.log.String())
	}
	if m := ts.MetricsSnapshot().ClientTLS; m.Failures["timeout"] != 1 {
		t.Errorf("metrics %+v", m)
	}
}
