package server

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/straittest"
	"github.com/straitproxy/strait/internal/testpki"
)

// clientTLSFixture is a CA, a server certificate for strait and a client
// certificate, written to dir.
type clientTLSFixture struct {
	root                *testpki.CA
	caPath              string
	certPath, keyPath   string
	client              tls.Certificate
	clientCert, pool    *x509.Certificate
	rootPool            *x509.CertPool
	clientCertFile, key string
}

func newClientTLSFixture(t *testing.T, dir string) *clientTLSFixture {
	t.Helper()
	root := testpki.NewRoot(t, testpki.Spec{CommonName: "strait test root"})
	srv := root.Issue(t, testpki.Spec{CommonName: "strait.test", DNSNames: []string{"strait.test"}})
	cl := root.Issue(t, testpki.Spec{CommonName: "client one", Client: true})
	f := &clientTLSFixture{root: root, caPath: testpki.WriteCerts(t, dir, "ca.crt", root.Cert), client: cl.TLSCertificate(), clientCert: cl.Cert}
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
	if got := readFile(t, logPath); got != "TLSv1.2 . 200\n- - 500\n" {
		t.Errorf("access log:\n%s", got)
	}
	if !strings.Contains(ts.log.String(), "SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number) while SSL handshaking, client: 127.0.0.1") {
		t.Errorf("error log:\n%s", ts.log.String())
	}
	_ = net.IPv4len
}
