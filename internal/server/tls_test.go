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

// tlsUpstream is a TLS echo server that records whether any application
// byte arrived.
type tlsUpstream struct {
	addr string
	mu   sync.Mutex
	data []byte
}

func (u *tlsUpstream) received() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return string(u.data)
}

func startTLSUpstream(t *testing.T, cfg *tls.Config) *tlsUpstream {
	t.Helper()
	u := &tlsUpstream{}
	u.addr = straittest.ServeTCP(t, func(c net.Conn) {
		tc := tls.Server(c, cfg)
		c.SetDeadline(time.Now().Add(10 * time.Second))
		if err := tc.Handshake(); err != nil {
			return
		}
		buf := make([]byte, 4096)
		for {
			n, err := tc.Read(buf)
			u.mu.Lock()
			u.data = append(u.data, buf[:n]...)
			u.mu.Unlock()
			if n > 0 {
				tc.Write(buf[:n])
			}
			if err != nil {
				return
			}
		}
	})
	return u
}

func TestTLSToUpstreams(t *testing.T) {
	dir := t.TempDir()
	root := testpki.NewRoot(t, testpki.Spec{CommonName: "strait test root"})
	other := testpki.NewRoot(t, testpki.Spec{CommonName: "untrusted root"})
	serverLeaf := root.Issue(t, testpki.Spec{DNSNames: []string{"upstream.test"}})
	untrustedLeaf := other.Issue(t, testpki.Spec{DNSNames: []string{"upstream.test"}})
	clientLeaf := root.Issue(t, testpki.Spec{CommonName: "strait", Client: true})
	caPath := testpki.WriteCerts(t, dir, "ca.crt", root.Cert)
	clientCert, clientKey := testpki.WriteLeaf(t, dir, "client", clientLeaf)

	pool := x509.NewCertPool()
	pool.AddCert(root.Cert)
	good := startTLSUpstream(t, &tls.Config{
		Certificates: []tls.Certificate{serverLeaf.TLSCertificate()},
		ClientAuth:   tls.RequireAndVerifyClientCert, ClientCAs: pool,
	})
	bad1 := startTLSUpstream(t, &tls.Config{Certificates: []tls.Certificate{untrustedLeaf.TLSCertificate()}})
	bad2 := startTLSUpstream(t, &tls.Config{Certificates: []tls.Certificate{untrustedLeaf.TLSCertificate()}})

	lnMixed, pMixed := listenPort(t)
	lnBad, pBad := listenPort(t)
	ts := startServer(t, mustConfig(t, dir, fmt.Sprintf(`
events {} stream {
    log_format ssl '$status "$upstream_addr" $upstream_ssl_protocol $upstream_ssl_cipher $upstream_ssl_session_reused $upstream_ssl_verify $upstream_ssl_server_name';
    upstream mixed { server %s; server %s; }
    upstream allbad { server %s; server %s; }
    proxy_ssl on;
    proxy_ssl_certificate %s;
    proxy_ssl_certificate_key %s;
    proxy_ssl_trusted_certificate %s;
    proxy_ssl_verify on;
    proxy_ssl_name upstream.test;
    proxy_ssl_server_name on;
    access_log {{dir}}/ssl.log ssl;
    server { listen 127.0.0.1:%s; proxy_pass mixed; }
    server { listen 127.0.0.1:%s; proxy_pass allbad; }
}`, bad1.addr, good.addr, bad2.addr, bad1.addr, clientCert, clientKey, caPath, pMixed, pBad)), lnMixed, lnBad)

	// mixed: the untrusted peer comes first; its failure moves the
	// session on to the good one.
	echoSession(t, "127.0.0.1:"+pMixed, "SECRET-1")
	logPath := filepath.Join(dir, "ssl.log")
	// Wait for that session's record so the two lines come in order.
	waitFor(t, "first access line", func() bool { return strings.Count(readFile(t, logPath), "\n") == 1 })
	// allbad: every peer fails verification.
	if got := roundTrip(t, "127.0.0.1:"+pBad, "SECRET-2"); got != "" {
		t.Errorf("allbad answered %q", got)
	}
	waitFor(t, "two access lines", func() bool { return strings.Count(readFile(t, logPath), "\n") == 2 })
	lines := strings.Split(strings.TrimSpace(readFile(t, logPath)), "\n")
	want0 := fmt.Sprintf(`200 "%s, %s" TLSv1.3 TLS_AES_128_GCM_SHA256 . OK upstream.test`, bad1.addr, good.addr)
	if got := strings.Replace(lines[0], " r ", " . ", 1); got != want0 {
		// the session-reused flag is "r" or "."
		t.Errorf("line 0:\n got %s\nwant %s", lines[0], want0)
	}
	if !strings.HasPrefix(lines[1], fmt.Sprintf(`502 "%s, %s"`, bad2.addr, bad1.addr)) {
		t.Errorf("line 1: %s", lines[1])
	}
	if good.received() != "SECRET-1" {
		t.Errorf("good upstream received %q", good.received())
	}
	for _, u := range []*tlsUpstream{bad1, bad2} {
		if d := u.received(); d != "" {
			t.Errorf("a failing upstream received client bytes %q", d)
		}
	}
	log := ts.log.String()
	if want := `upstream SSL certificate verify error: (21:unable to verify the first certificate) while SSL handshaking to upstream`; !strings.Contains(log, want) {
		t.Errorf("log lacks %q:\n%s", want, log)
	}
	if st := ts.Stats(); st.Peers[bad1.addr].Handshake != 2 || st.Peers[bad2.addr].Handshake != 1 {
		t.Errorf("peer failures %+v", st.Peers)
	}
}
