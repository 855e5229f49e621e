package server

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/straittest"
	"github.com/straitproxy/strait/internal/testpki"
)

// helloLog is a TLS echo upstream that records, per handshake, the SNI
// it got and the common name of the client certificate ("-" for none).
type helloLog struct {
	addr string
	mu   sync.Mutex
	seen []string
}

func (h *helloLog) got() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.seen...)
}

func startHelloLog(t *testing.T, cert tls.Certificate, clients *x509.CertPool) *helloLog {
	t.Helper()
	h := &helloLog{}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: clients}
	h.addr = straittest.ServeTCP(t, func(c net.Conn) {
		tc := tls.Server(c, cfg)
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if err := tc.Handshake(); err != nil {
			return
		}
		cs := tc.ConnectionState()
		who := "-"
		if len(cs.PeerCertificates) > 0 {
			who = cs.PeerCertificates[0].Subject.CommonName
		}
		h.mu.Lock()
		h.seen = append(h.seen, cs.ServerName+" "+who)
		h.mu.Unlock()
		buf := make([]byte, 4096)
		for {
			n, err := tc.Read(buf)
			if n > 0 {
				tc.Write(buf[:n])
			}
			if err != nil {
				return
			}
		}
	})
	return h
}

// TestProxySSLNameAndCertificateWithVariables: each session's
// proxy_ssl_name and proxy_ssl_certificate come from its variables; the
// upstream sees the SNI and the client certificate chosen, sessions made
// for one name are not resumed for another, an empty name verifies
// nothing (nginx: no SNI, no match), and a certificate that cannot be
// loaded ends the session with 500 and nginx's words.
func TestProxySSLNameAndCertificateWithVariables(t *testing.T) {
	dir := t.TempDir()
	root := testpki.NewRoot(t, testpki.Spec{CommonName: "strait test root"})
	serverLeaf := root.Issue(t, testpki.Spec{DNSNames: []string{"a.test", "b.test"}})
	testpki.WriteLeaf(t, dir, "client-a", root.Issue(t, testpki.Spec{CommonName: "client-a", Client: true}))
	testpki.WriteLeaf(t, dir, "client-b", root.Issue(t, testpki.Spec{CommonName: "client-b", Client: true}))
	caPath := testpki.WriteCerts(t, dir, "ca.crt", root.Cert)
	pool := x509.NewCertPool()
	pool.AddCert(root.Cert)
	up := startHelloLog(t, serverLeaf.TLSCertificate(), pool)

	lnA, pA := listenPort(t)
	lnB, pB := listenPort(t)
	lnEmpty, pEmpty := listenPort(t)
	lnMissing, pMissing := listenPort(t)
	ts := startServer(t, mustConfig(t, dir, fmt.Sprintf(`
events {} stream {
    log_format ssl '$server_port $status $upstream_ssl_session_reused $upstream_ssl_server_name';
    access_log {{dir}}/ssl.log ssl;
    proxy_ssl on;
    proxy_ssl_verify on;
    proxy_ssl_trusted_certificate %s;
    proxy_ssl_server_name on;
    proxy_ssl_name $n:443;
    proxy_ssl_certificate $c.crt;
    proxy_ssl_certificate_key $c.key;
    server { listen 127.0.0.1:%s; set $n a.test; set $c client-a; proxy_pass %s; }
    server { listen 127.0.0.1:%s; set $n b.test; set $c client-b; proxy_pass %s; }
    server { listen 127.0.0.1:%s; set $c client-a; proxy_ssl_name $n; proxy_pass %s; }
    server { listen 127.0.0.1:%s; set $n a.test; set $c missing; proxy_pass %s; }
}`, caPath, pA, up.addr, pB, up.addr, pEmpty, up.addr, pMissing, up.addr)), lnA, lnB, lnEmpty, lnMissing)

	logPath := filepath.Join(dir, "ssl.log")
	lines := 0
	session := func(port string, ok bool) {
		t.Helper()
		if ok {
			echoSession(t, "127.0.0.1:"+port, "ping")
		} else if got := roundTrip(t, "127.0.0.1:"+port, "ping"); got != "" {
			t.Errorf("port %s answered %q", port, got)
		}
		// One session at a time, so the records come in this order.
		lines++
		waitFor(t, "access line", func() bool { return strings.Count(readFile(t, logPath), "\n") == lines })
	}
	session(pA, true)
	session(pA, true)
	session(pB, true)
	session(pEmpty, false)
	session(pMissing, false)

	got := strings.Split(strings.TrimSpace(readFile(t, logPath)), "\n")
	want := []string{
		pA + " 200 . a.test",
		pA + " 200 r a.test",
		pB + " 200 . b.test", // not a.test's session
		pEmpty + " 502 . ",
		pMissing + " 500 . a.test",
	}
	for i := range want {
		if i >= len(got) || strings.TrimSpace(got[i]) != strings.TrimSpace(want[i]) {
			t.Errorf("access log:\n%s\nwant line %d %q", strings.Join(got, "\n"), i, want[i])
			break
		}
	}
	// The empty name fails verification before the client's
	// certificate is sent: the upstream sees no handshake completed.
	if seen := up.got(); strings.Join(seen, ",") != "a.test client-a,a.test client-a,b.test client-b" {
		t.Errorf("upstream saw %q", seen)
	}
	log := ts.log.String()
	for _, w := range []string{
		`upstream SSL certificate does not match "" while SSL handshaking to upstream`,
		`cannot load certificate "` + filepath.Join(dir, "missing.crt") + `": open() failed (2: No such file or directory)`,
	} {
		if !strings.Contains(log, w) {
			t.Errorf("log lacks %q:\n%s", w, log)
		}
	}
}
