package interop

import (
	"bytes"
	"fmt"
	"net"
	"os/exec"
	"sync"
	"testing"

	"github.com/straitproxy/strait/internal/straittest"
	"github.com/straitproxy/strait/internal/testpki"
)

// TestHAProxyUpstream proxies to an HAProxy TLS frontend that requires a
// client certificate (verify required) in front of a plain echo server.
func TestHAProxyUpstream(t *testing.T) {
	haproxy := needTool(t, "haproxy")
	dir := t.TempDir()
	id := newClientIdentity(t, dir)
	chain := testpki.NewChain(t, 1, testpki.Spec{DNSNames: []string{"backend"}})
	trusted := testpki.WriteCerts(t, dir, "root.crt", chain.Root.Cert)
	combined := testpki.WriteFile(t, dir, "combined.pem", append(testpki.PEMCerts(chain.Leaf.Chain()...),
		testpki.PEMKey(t, chain.Leaf.Key, testpki.PKCS8, "")...))
	echo, echoed := startEchoServer(t)
	// HAProxy serves a socket the test bound, passed as its descriptor 3.
	frontLn, front := listenAddr(t)
	cfg := testpki.WriteFile(t, dir, "haproxy.cfg", []byte(fmt.Sprintf(`
global
    maxconn 100
defaults
    mode tcp
    timeout connect 5s
    timeout client 10s
    timeout server 10s
frontend f
    bind fd@3 ssl crt %s verify required ca-file %s
    default_backend b
backend b
    server echo %s
`, combined, id.caFile, echo)))
	launchCmd(t, false, exec.Command(haproxy, "-db", "-f", cfg), "", frontLn)

	tests := []struct {
		name, protocols string
		clientCert      bool
		wantStatus      string
	}{
		{"client_certificate_TLSv1.2", "TLSv1.2", true, "200"},
		{"client_certificate_TLSv1.3", "TLSv1.3", true, "200"},
		{"no_client_certificate_TLSv1.2", "TLSv1.2", false, "502"},
		// In TLS 1.3 the server checks the client certificate after the
		// client has finished its handshake, so strait (like nginx) counts
		// the session as established and learns of the refusal only when
		// it reads: no status is asserted, only that nothing got through.
		{"no_client_certificate_TLSv1.3", "TLSv1.3", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cert := ""
			if tt.clientCert {
				cert = id.directives()
			}
			ln, addr := listenAddr(t)
			st := startStrait(t, t.TempDir(), fmt.Sprintf(`
    server {
        listen %s;
        proxy_pass %s;
        proxy_ssl on;
        proxy_ssl_protocols %s;
        proxy_ssl_name backend;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate %s;
        %s
    }`, addr, front, tt.protocols, trusted, cert), ln)

			msg := "round trip through HAProxy\n"
			if !tt.clientCert {
				msg = "sent without a certificate\n"
			}
			reply := exchangeEcho(t, st.Addr(t), msg)
			rec := st.records(t, 1)[0]
			if tt.wantStatus != "" && rec.Status != tt.wantStatus {
				t.Errorf("record %+v, want status %s", rec, tt.wantStatus)
			}
			if tt.wantStatus == "200" && (reply != msg || rec.Protocol != tt.protocols) {
				t.Errorf("reply %q over %s, want %q over %s", reply, rec.Protocol, msg, tt.protocols)
			}
			if !tt.clientCert && reply != "" {
				t.Errorf("reply %q without a client certificate", reply)
			}
			if !tt.clientCert && bytes.Contains(echoed(), []byte("without")) {
				t.Errorf("the backend received data from a client without a certificate")
			}
		})
	}
}

// startEchoServer runs a plain TCP echo server on loopback; received
// returns every byte it was sent.
func startEchoServer(t testing.TB) (addr string, received func() []byte) {
	t.Helper()
	var (
		mu  sync.Mutex
		all bytes.Buffer
	)
	addr = straittest.ServeTCP(t, func(c net.Conn) {
		buf := make([]byte, 16<<10)
		for {
			n, err := c.Read(buf)
			mu.Lock()
			all.Write(buf[:n])
			mu.Unlock()
			if _, werr := c.Write(buf[:n]); err != nil || werr != nil {
				return
			}
		}
	})
	return addr, func() []byte {
		mu.Lock()
		defer mu.Unlock()
		return bytes.Clone(all.Bytes())
	}
}
