package tlsconf

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/straitproxy/strait/internal/testpki"
)

func pinOf(c *x509.Certificate) [32]byte { return sha256.Sum256(c.RawSubjectPublicKeyInfo) }

// TestPins pins each certificate of a verified chain in turn, and keys the
// chain does not use: only keys of the path that verified count.
func TestPins(t *testing.T) {
	chain := testpki.NewChain(t, 1, testpki.Spec{DNSNames: []string{"backend"}})
	other := testpki.NewChain(t, 1, testpki.Spec{DNSNames: []string{"backend"}})
	stray := testpki.NewRoot(t, testpki.Spec{CommonName: "Stray"})
	trusted := testpki.WriteCerts(t, t.TempDir(), "trusted.pem", chain.Root.Cert)
	// The server also sends a certificate no path uses: its key must not
	// satisfy a pin.
	cfg := serverConfig(chain.Leaf)
	cfg.Certificates[0].Certificate = append(cfg.Certificates[0].Certificate, stray.Cert.Raw)
	srv := startServer(t, cfg)
	tests := []struct {
		name string
		pins [][32]byte
		ok   bool
	}{
		{"leaf", [][32]byte{pinOf(chain.Leaf.Cert)}, true},
		{"intermediate", [][32]byte{pinOf(chain.Leaf.Intermediates[0])}, true},
		{"anchor", [][32]byte{pinOf(chain.Root.Cert)}, true},
		{"one of several", [][32]byte{pinOf(other.Root.Cert), pinOf(chain.Leaf.Cert)}, true},
		{"another chain's keys", [][32]byte{pinOf(other.Leaf.Cert), pinOf(other.Root.Cert)}, false},
		{"sent but unused", [][32]byte{pinOf(stray.Cert)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := verifying(trusted, 1)
			s.Pins = tt.pins
			c := newClient(t, s, "backend")
			// Twice: the second handshake resumes and is checked again.
			for round := 0; round < 2; round++ {
				info, err := connect(t, c, srv.addr)
				if tt.ok {
					if err != nil || info.Verify != "OK" {
						t.Fatalf("round %d: %+v, %v", round, info, err)
					}
					continue
				}
				var he *HandshakeError
				if !errors.As(err, &he) || !he.Pin || !he.Verify {
					t.Fatalf("round %d: got %v, want a pin mismatch", round, err)
				}
				if want := "upstream SSL certificate pin mismatch: no certificate of the chain matches proxy_ssl_pin_sha256"; err.Error() != want {
					t.Errorf("error %q, want %q", err, want)
				}
				if info.Verify != "pin mismatch" {
					t.Errorf("$upstream_ssl_verify %q, want \"pin mismatch\"", info.Verify)
				}
			}
		})
	}
}

// TestPinsRefusedWithoutVerify: pins narrow a verified chain, and there is
// none without verification.
func TestPinsRefusedWithoutVerify(t *testing.T) {
	s := verifying("", 1)
	s.Verify = false
	s.Pins = [][32]byte{{1}}
	if _, err := NewClient(s, "backend"); err == nil || err.Error() != "proxy_ssl_pin_sha256 requires proxy_ssl_verify on" {
		t.Fatalf("got %v", err)
	}
}

// TestPinsComeAfterChainAndName: a chain that fails verification, or a
// name mismatch, is reported as such, not as a pin mismatch.
func TestPinsComeAfterChainAndName(t *testing.T) {
	chain := testpki.NewChain(t, 1, testpki.Spec{DNSNames: []string{"backend"}})
	otherRoot := testpki.NewRoot(t, testpki.Spec{CommonName: "Other"})
	dir := t.TempDir()
	srv := startServer(t, serverConfig(chain.Leaf))
	s := verifying(testpki.WriteCerts(t, dir, "other.pem", otherRoot.Cert), 1)
	s.Pins = [][32]byte{{1}}
	if _, err := connect(t, newClient(t, s, "backend"), srv.addr); err == nil ||
		err.Error() != "upstream SSL certificate verify error: (20:unable to get local issuer certificate)" {
		t.Errorf("untrusted chain: %v", err)
	}
	s = verifying(testpki.WriteCerts(t, dir, "root.pem", chain.Root.Cert), 1)
	s.Pins = [][32]byte{{1}}
	if _, err := connect(t, newClient(t, s, "x"), srv.addr); err == nil ||
		err.Error() != `upstream SSL certificate does not match "x"` {
		t.Errorf("wrong name: %v", err)
	}
}

func TestPinSHA256(t *testing.T) {
	root := testpki.NewRoot(t, testpki.Spec{})
	p := pinOf(root.Cert)
	if got, want := PinSHA256(root.Cert), base64.StdEncoding.EncodeToString(p[:]); got != want || len(got) != 44 {
		t.Errorf("PinSHA256 = %q, want %q", got, want)
	}
}
