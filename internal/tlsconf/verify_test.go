package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/testpki"
)

// verifyCase is one upstream certificate situation: what the server
// sends, what the trusted and CRL files hold, and nginx's verdict.
type verifyCase struct {
	name     string
	serve    []*x509.Certificate // leaf first
	leaf     *testpki.Leaf
	trusted  []*x509.Certificate
	crls     [][]byte
	depth    int
	sslName  string // proxy_ssl_name
	wantCode int    // OpenSSL verify result (SSL_get_verify_result)
	mismatch bool   // verify result OK but the name does not match
}

func verifyCases(t *testing.T) []verifyCase {
	now := time.Now()
	spec := testpki.Spec{DNSNames: []string{"backend"}}
	var cases []verifyCase
	chains := make([]*testpki.Chain, 4)
	for n := range chains {
		chains[n] = testpki.NewChain(t, n, spec)
	}
	// Depth matrix: OpenSSL's depth counts the intermediates only.
	for n, c := range chains {
		for d := 0; d <= 3; d++ {
			want := codeOK
			if n > d {
				want = codeUnableToGetLocalIssuer
			}
			cases = append(cases, verifyCase{name: fmt.Sprintf("%d intermediates depth %d", n, d),
				leaf: c.Leaf, trusted: []*x509.Certificate{c.Root.Cert}, depth: d, wantCode: want})
		}
	}
	c1, c2 := chains[1], chains[2]
	root1 := []*x509.Certificate{c1.Root.Cert}
	issue := func(s testpki.Spec) *testpki.Leaf { return c1.Issuer().Issue(t, s) }
	self := testpki.SelfSigned(t, spec)
	crlAll := func(c *testpki.Chain, s testpki.CRLSpec) (out [][]byte) {
		for _, ca := range c.CAs() {
			out = append(out, ca.CRL(t, s))
		}
		return out
	}
	revokedLeaf := [][]byte{c1.Root.CRL(t, testpki.CRLSpec{}), c1.Issuer().CRL(t, testpki.CRLSpec{Revoked: []*big.Int{c1.Leaf.Cert.SerialNumber}})}
	revokedInt := [][]byte{c1.Root.CRL(t, testpki.CRLSpec{Revoked: []*big.Int{c1.Issuer().Cert.SerialNumber}}), c1.Issuer().CRL(t, testpki.CRLSpec{})}
	expiredCRL := testpki.CRLSpec{ThisUpdate: now.Add(-48 * time.Hour), NextUpdate: now.Add(-24 * time.Hour)}
	cases = append(cases,
		verifyCase{name: "untrusted CA", leaf: c1.Leaf, trusted: []*x509.Certificate{c2.Root.Cert}, depth: 1, wantCode: codeUnableToGetLocalIssuer},
		verifyCase{name: "untrusted CA sending its root", leaf: c1.Leaf, serve: append(c1.Leaf.Chain(), c1.Root.Cert), trusted: []*x509.Certificate{c2.Root.Cert}, depth: 1, wantCode: codeSelfSignedInChain},
		verifyCase{name: "trusted root also sent", leaf: c1.Leaf, serve: append(c1.Leaf.Chain(), c1.Root.Cert), trusted: root1, depth: 1},
		verifyCase{name: "intermediate not sent", leaf: c1.Leaf, serve: []*x509.Certificate{c1.Leaf.Cert}, trusted: root1, depth: 1, wantCode: codeUnableToVerifyLeaf},
		verifyCase{name: "intermediate in trusted file", leaf: c1.Leaf, serve: []*x509.Certificate{c1.Leaf.Cert}, trusted: []*x509.Certificate{c1.Issuer().Cert, c1.Root.Cert}, depth: 1},
		verifyCase{name: "intermediate is no anchor", leaf: c1.Leaf, trusted: []*x509.Certificate{c1.Issuer().Cert}, depth: 1, wantCode: codeUnableToGetIssuer},
		verifyCase{name: "self-signed leaf", leaf: self, trusted: root1, depth: 1, wantCode: codeDepthZeroSelfSigned},
		verifyCase{name: "self-signed leaf trusted", leaf: self, trusted: []*x509.Certificate{self.Cert}, depth: 1},
		verifyCase{name: "expired", leaf: issue(testpki.Spec{DNSNames: []string{"backend"}, NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-time.Hour)}), trusted: root1, depth: 1, wantCode: codeCertHasExpired},
		verifyCase{name: "not yet valid", leaf: issue(testpki.Spec{DNSNames: []string{"backend"}, NotBefore: now.Add(time.Hour), NotAfter: now.Add(48 * time.Hour)}), trusted: root1, depth: 1, wantCode: codeCertNotYetValid},
		verifyCase{name: "client certificate as server", leaf: issue(testpki.Spec{DNSNames: []string{"backend"}, Client: true}), trusted: root1, depth: 1, wantCode: codeInvalidPurpose},
		verifyCase{name: "wrong name", leaf: c1.Leaf, trusted: root1, depth: 1, sslName: "other", mismatch: true},
		verifyCase{name: "wildcard", leaf: issue(testpki.Spec{DNSNames: []string{"*.example.com"}}), trusted: root1, depth: 1, sslName: "db.example.com"},
		verifyCase{name: "wildcard one label only", leaf: issue(testpki.Spec{DNSNames: []string{"*.example.com"}}), trusted: root1, depth: 1, sslName: "a.db.example.com", mismatch: true},
		verifyCase{name: "CN only", leaf: issue(testpki.Spec{CommonName: "backend"}), trusted: root1, depth: 1},
		verifyCase{name: "CN ignored with DNS SAN", leaf: issue(testpki.Spec{CommonName: "backend", DNSNames: []string{"other"}}), trusted: root1, depth: 1, mismatch: true},
		verifyCase{name: "IP SAN", leaf: issue(testpki.Spec{IPs: []net.IP{net.ParseIP("127.0.0.1")}}), trusted: root1, depth: 1, sslName: "127.0.0.1"},
		verifyCase{name: "IP SAN other address", leaf: issue(testpki.Spec{IPs: []net.IP{net.ParseIP("127.0.0.2")}}), trusted: root1, depth: 1, sslName: "127.0.0.1", mismatch: true},
		verifyCase{name: "CRL for every level", leaf: c1.Leaf, trusted: root1, depth: 1, crls: crlAll(c1, testpki.CRLSpec{})},
		verifyCase{name: "CRL revokes leaf", leaf: c1.Leaf, trusted: root1, depth: 1, crls: revokedLeaf, wantCode: codeCertRevoked},
		verifyCase{name: "CRL revokes intermediate", leaf: c1.Leaf, trusted: root1, depth: 1, crls: revokedInt, wantCode: codeCertRevoked},
		verifyCase{name: "CRL missing for root", leaf: c1.Leaf, trusted: root1, depth: 1, crls: [][]byte{c1.Issuer().CRL(t, testpki.CRLSpec{})}, wantCode: codeUnableToGetCRL},
		verifyCase{name: "CRL missing for intermediate", leaf: c1.Leaf, trusted: root1, depth: 1, crls: [][]byte{c1.Root.CRL(t, testpki.CRLSpec{})}, wantCode: codeUnableToGetCRL},
		verifyCase{name: "CRL expired", leaf: c1.Leaf, trusted: root1, depth: 1, crls: crlAll(c1, expiredCRL), wantCode: codeCRLHasExpired},
		verifyCase{name: "CRL direct root", leaf: chains[0].Leaf, trusted: []*x509.Certificate{chains[0].Root.Cert}, depth: 1, crls: crlAll(chains[0], testpki.CRLSpec{})},
	)
	return cases
}

func (vc verifyCase) files(t *testing.T, dir string) (trusted, crl string) {
	trusted = testpki.WriteCerts(t, dir, "trusted.pem", vc.trusted...)
	if vc.crls != nil {
		var all []byte
		for _, c := range vc.crls {
			all = append(all, c...)
		}
		crl = testpki.WriteFile(t, dir, "crl.pem", all)
	}
	return trusted, crl
}

func (vc verifyCase) server(t *testing.T) *testServer {
	cert := vc.leaf.TLSCertificate()
	if vc.serve != nil {
		cert.Certificate = nil
		for _, c := range vc.serve {
			cert.Certificate = append(cert.Certificate, c.Raw)
		}
	}
	return startServer(t, &tls.Config{Certificates: []tls.Certificate{cert}})
}

func TestVerifyMatrix(t *testing.T) {
	for _, vc := range verifyCases(t) {
		t.Run(vc.name, func(t *testing.T) {
			srv := vc.server(t)
			trusted, crl := vc.files(t, t.TempDir())
			s := verifying(trusted, vc.depth)
			s.CRL = crl
			s.Name = vc.sslName
			c := newClient(t, s, "backend")
			info, err := connect(t, c, srv.addr)
			switch {
			case vc.mismatch:
				name := vc.sslName
				if name == "" {
					name = "backend"
				}
				wantErr(t, err, fmt.Sprintf("upstream SSL certificate does not match %q", name))
			case vc.wantCode != codeOK:
				wantErr(t, err, fmt.Sprintf("upstream SSL certificate verify error: (%d:%s)", vc.wantCode, verifyReason(vc.wantCode)))
				if info.Verify != verifyReason(vc.wantCode) {
					t.Errorf("Info.Verify = %q", info.Verify)
				}
			default:
				if err != nil {
					t.Fatalf("handshake: %v", err)
				}
				if info.Verify != "OK" {
					t.Errorf("Info.Verify = %q, want OK", info.Verify)
				}
			}

			// Verification off accepts every one of these, never silently.
			s.Verify = false
			info, err = connect(t, newClient(t, s, "backend"), srv.addr)
			if err != nil || info.Verify != "NONE" {
				t.Errorf("verify off: %+v, %v", info, err)
			}
		})
	}
}
