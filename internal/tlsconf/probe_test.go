package tlsconf

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/testpki"
)

func probe(t *testing.T, c *Client, addr string) (ProbeResult, error) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := c.Probe(ctx, conn, addr)
	if r.Conn != nil {
		// Read the greeting so that TLS 1.3 tickets are processed.
		r.Conn.SetDeadline(time.Now().Add(10 * time.Second))
		r.Conn.Read(make([]byte, 16))
		r.Conn.Close()
	}
	return r, err
}

func TestProbe(t *testing.T) {
	chain := testpki.NewChain(t, 1, testpki.Spec{DNSNames: []string{"backend"}})
	client := testpki.NewChain(t, 0, testpki.Spec{CommonName: "strait", Client: true})
	dir := t.TempDir()
	trusted := testpki.WriteCerts(t, dir, "trusted.pem", chain.Root.Cert)
	clientCert, clientKey := testpki.WriteLeaf(t, dir, "client", client.Leaf)
	pool := x509.NewCertPool()
	pool.AddCert(client.Root.Cert)
	for _, proto := range []string{"TLSv1.2", "TLSv1.3"} {
		t.Run(proto, func(t *testing.T) {
			cfg := serverConfig(chain.Leaf)
			cfg.ClientAuth, cfg.ClientCAs = tls.VerifyClientCertIfGiven, pool
			srv := startServer(t, cfg)
			s := verifying(trusted, 1)
			s.Protocols = []string{proto}
			s.Certificate, s.CertificateKey = clientCert, clientKey
			c := newClient(t, s, "backend")
			r, err := probe(t, c, srv.addr)
			if err != nil {
				t.Fatal(err)
			}
			if r.Protocol != proto || r.Cipher == "" || r.Verify != "OK" || r.Reused {
				t.Errorf("first probe %+v", r.Info)
			}
			if !r.ClientCertRequested || !r.ClientCertSent {
				t.Errorf("client certificate requested %v sent %v, want both", r.ClientCertRequested, r.ClientCertSent)
			}
			if len(r.Chain) != 2 || !r.Chain[0].Equal(chain.Leaf.Cert) {
				t.Errorf("chain of %d certificates, want the leaf and its intermediate", len(r.Chain))
			}
			r, err = probe(t, c, srv.addr)
			if err != nil || !r.Reused || len(r.Chain) != 2 {
				t.Errorf("second probe: %+v (%d certificates), %v; want it resumed", r.Info, len(r.Chain), err)
			}
			// Without a certificate of its own strait still answers the
			// request, with an empty list.
			s.Certificate, s.CertificateKey = "", ""
			r, err = probe(t, newClient(t, s, "backend"), srv.addr)
			if err != nil || !r.ClientCertRequested || r.ClientCertSent {
				t.Errorf("without a certificate: requested %v sent %v, %v", r.ClientCertRequested, r.ClientCertSent, err)
			}
			// A refused chain is still shown, with what was negotiated.
			r, err = probe(t, newClient(t, s, "other"), srv.addr)
			if err == nil || err.Error() != `upstream SSL certificate does not match "other"` {
				t.Fatalf("wrong name: %v", err)
			}
			if r.Conn != nil || len(r.Chain) != 2 || r.Protocol != proto || r.Cipher == "" || r.Verify != "hostname mismatch" {
				t.Errorf("refused probe %+v with %d certificates", r.Info, len(r.Chain))
			}
		})
	}
}
