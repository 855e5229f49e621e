package tlsconf

import (
	"crypto/x509"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/testpki"
)

func TestSignatureCacheRemembersOnlyVerifiedPairs(t *testing.T) {
	root := testpki.NewRoot(t, testpki.Spec{})
	other := testpki.NewRoot(t, testpki.Spec{CommonName: "Other Root"})
	leaf := root.Issue(t, testpki.Spec{DNSNames: []string{"backend"}}).Cert
	tests := []struct {
		name       string
		issuer     *x509.Certificate
		want       bool
		wantCached int
	}{
		{"right issuer", root.Cert, true, 1},
		{"wrong issuer key", other.Cert, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := newSignatureCache()
			for i := range 2 {
				if got := sc.signedBy(leaf, tt.issuer); got != tt.want {
					t.Fatalf("call %d: signedBy = %v, want %v", i, got, tt.want)
				}
			}
			if len(sc.ok) != tt.wantCached {
				t.Errorf("cached %d pairs, want %d", len(sc.ok), tt.wantCached)
			}
		})
	}
}

func TestSignatureCacheIsBounded(t *testing.T) {
	root := testpki.NewRoot(t, testpki.Spec{})
	leaf := root.Issue(t, testpki.Spec{}).Cert
	sc := newSignatureCache()
	for range maxCachedSignatures {
		sc.ok[[2]*x509.Certificate{new(x509.Certificate), root.Cert}] = struct{}{}
	}
	if !sc.signedBy(leaf, root.Cert) {
		t.Fatal("signedBy = false for a leaf of root")
	}
	if len(sc.ok) != 1 {
		t.Errorf("full cache holds %d pairs after an insert, want 1 (cleared first)", len(sc.ok))
	}
}

// A cached signature must not hide what changes with time: the verifier
// still reports an expired leaf on the next handshake.
func TestCachedSignatureStillChecksValidity(t *testing.T) {
	now := time.Now()
	root := testpki.NewRoot(t, testpki.Spec{})
	leaf := root.Issue(t, testpki.Spec{DNSNames: []string{"backend"}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)})
	v := chainVerifier{store: []*x509.Certificate{root.Cert}, depth: 1, sigs: newSignatureCache()}
	if code, _ := v.verify(leaf.Chain(), now); code != codeOK {
		t.Fatalf("first verify: code %d, want OK", code)
	}
	if len(v.sigs.ok) == 0 {
		t.Fatal("first verify cached no signature")
	}
	if code, depth := v.verify(leaf.Chain(), now.Add(2*time.Hour)); code != codeCertHasExpired || depth != 0 {
		t.Errorf("verify after expiry: code %d depth %d, want %d at depth 0", code, depth, codeCertHasExpired)
	}
}
