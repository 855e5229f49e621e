package testpki

import (
	"crypto/x509"
	"strings"
	"testing"
)

func TestResign(t *testing.T) {
	tests := []struct {
		key     KeyType
		digest  Digest
		want    x509.SignatureAlgorithm
		checkOK bool // crypto/x509 still verifies this algorithm
	}{
		{ECDSA, SHA1, x509.ECDSAWithSHA1, true},
		{RSA, SHA1, x509.SHA1WithRSA, true},
		{RSA, MD5, x509.MD5WithRSA, false},
		{ECDSA, SHA224, x509.UnknownSignatureAlgorithm, false},
		{ECDSAP384, SHA256, x509.ECDSAWithSHA256, true},
		{RSA1024, SHA512, x509.SHA512WithRSA, true},
	}
	for _, tt := range tests {
		root := NewRoot(t, Spec{Key: tt.key})
		leaf := root.Issue(t, Spec{DNSNames: []string{"backend"}, Digest: tt.digest})
		if leaf.Cert.SignatureAlgorithm != tt.want {
			t.Errorf("%v/%d: signature algorithm %v, want %v", tt.key, tt.digest, leaf.Cert.SignatureAlgorithm, tt.want)
		}
		err := root.Cert.CheckSignature(leaf.Cert.SignatureAlgorithm, leaf.Cert.RawTBSCertificate, leaf.Cert.Signature)
		if (err == nil) != tt.checkOK {
			t.Errorf("%v/%d: CheckSignature: %v", tt.key, tt.digest, err)
		}
	}
}

func TestVersion1Root(t *testing.T) {
	root := NewRoot(t, Spec{Version1: true})
	if root.Cert.Version != 1 || len(root.Cert.Extensions) != 0 {
		t.Fatalf("version %d with %d extensions", root.Cert.Version, len(root.Cert.Extensions))
	}
	leaf := root.Issue(t, Spec{DNSNames: []string{"backend"}})
	if err := root.Cert.CheckSignature(leaf.Cert.SignatureAlgorithm, leaf.Cert.RawTBSCertificate, leaf.Cert.Signature); err != nil {
		t.Errorf("leaf signature: %v", err)
	}
	if err := root.Cert.CheckSignature(root.Cert.SignatureAlgorithm, root.Cert.RawTBSCertificate, root.Cert.Signature); err != nil {
		t.Errorf("root self-signature: %v", err)
	}
}

func TestHostileCasesShape(t *testing.T) {
	cases := HostileCases(t)
	if len(cases) < 40 {
		t.Errorf("%d cases, want at least 40", len(cases))
	}
	for _, h := range cases {
		if len(h.Served) == 0 || len(h.Trusted) == 0 || h.Key == nil || h.Host == "" {
			t.Errorf("%s: incomplete case %+v", h.Name, h)
		}
		if strings.ContainsAny(h.Name, " ;{}/") {
			t.Errorf("%q is no safe name", h.Name)
		}
		if h.WantCode == 0 && h.WantDepth != 0 {
			t.Errorf("%s: depth %d without an error", h.Name, h.WantDepth)
		}
	}
}
