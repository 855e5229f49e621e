package tlsconf

import (
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/testpki"
)

// TestResumptionPerPeer runs three upstream peers that share one name and
// one certificate but not their ticket keys. Go's stock cache is keyed by
// the server name, so the peers would evict each other's sessions; strait
// keeps one cache per peer, so every connection after the first resumes.
func TestResumptionPerPeer(t *testing.T) {
	chain := testpki.NewChain(t, 1, testpki.Spec{DNSNames: []string{"backend"}})
	trusted := testpki.WriteCerts(t, t.TempDir(), "trusted.pem", chain.Root.Cert)
	for _, proto := range []string{"TLSv1.2", "TLSv1.3"} {
		t.Run(proto, func(t *testing.T) {
			var peers []*testServer
			for i := 0; i < 3; i++ {
				// A fresh tls.Config per server: fresh ticket keys.
				peers = append(peers, startServer(t, serverConfig(chain.Leaf)))
			}
			s := verifying(trusted, 1)
			s.Protocols = []string{proto}
			s.ServerName = true
			a := newClient(t, s, "backend")
			b := newClient(t, s, "backend")
			off := s
			off.SessionReuse = false
			never := newClient(t, off, "backend")
			for round := 0; round < 3; round++ {
				for i, p := range peers {
					info, err := connect(t, a, p.addr)
					if err != nil {
						t.Fatalf("round %d peer %d: %v", round, i, err)
					}
					if info.Protocol != proto || info.ServerName != "backend" {
						t.Fatalf("round %d peer %d: %+v", round, i, info)
					}
					if info.Reused != (round > 0) {
						t.Errorf("round %d peer %d: Reused = %v", round, i, info.Reused)
					}
					info, err = connect(t, never, p.addr)
					if err != nil || info.Reused {
						t.Errorf("round %d peer %d: reuse off: %+v, %v", round, i, info, err)
					}
				}
			}
			// Another profile never resumes the first one's sessions.
			for i, p := range peers {
				if info, err := connect(t, b, p.addr); err != nil || info.Reused {
					t.Errorf("second client, peer %d: %+v, %v", i, info, err)
				}
			}
		})
	}
}

// TestResumedSessionIsVerified checks that verification also runs on a
// resumed session: a session made while the certificate was valid does
// not survive the certificate's expiry.
func TestResumedSessionIsVerified(t *testing.T) {
	chain := testpki.NewChain(t, 0, testpki.Spec{DNSNames: []string{"backend"}})
	trusted := testpki.WriteCerts(t, t.TempDir(), "trusted.pem", chain.Root.Cert)
	srv := startServer(t, serverConfig(chain.Leaf))
	c := newClient(t, verifying(trusted, 1), "backend")
	for round := 0; round < 2; round++ {
		info, err := connect(t, c, srv.addr)
		if err != nil || info.Reused != (round == 1) {
			t.Fatalf("round %d: %+v, %v", round, info, err)
		}
	}
	later := chain.Leaf.Cert.NotAfter.Add(time.Hour)
	c.now = func() time.Time { return later }
	_, err := connect(t, c, srv.addr)
	wantErr(t, err, "upstream SSL certificate verify error: (10:certificate has expired)")
}
