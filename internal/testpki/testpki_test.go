package testpki

import (
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/youmark/pkcs8"
)

func TestChainVerifiesWithCryptoX509(t *testing.T) {
	for _, k := range []KeyType{ECDSA, RSA, Ed25519} {
		for n := 0; n <= 3; n++ {
			c := NewChain(t, n, Spec{Key: k, DNSNames: []string{"backend"}})
			roots, inter := x509.NewCertPool(), x509.NewCertPool()
			roots.AddCert(c.Root.Cert)
			for _, ic := range c.Leaf.Intermediates {
				inter.AddCert(ic)
			}
			if len(c.Leaf.Intermediates) != n {
				t.Fatalf("%v/%d: %d intermediates", k, n, len(c.Leaf.Intermediates))
			}
			if _, err := c.Leaf.Cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: "backend"}); err != nil {
				t.Errorf("%v with %d intermediates: %v", k, n, err)
			}
		}
	}
}

func TestCRL(t *testing.T) {
	c := NewChain(t, 1, Spec{})
	past := time.Now().Add(-time.Minute)
	block, _ := pem.Decode(c.Issuer().CRL(t, CRLSpec{Revoked: []*big.Int{c.Leaf.Cert.SerialNumber}, NextUpdate: past}))
	crl, err := x509.ParseRevocationList(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if err := crl.CheckSignatureFrom(c.Issuer().Cert); err != nil {
		t.Errorf("CRL signature: %v", err)
	}
	if len(crl.RevokedCertificateEntries) != 1 || crl.RevokedCertificateEntries[0].SerialNumber.Cmp(c.Leaf.Cert.SerialNumber) != 0 {
		t.Errorf("revoked entries = %+v", crl.RevokedCertificateEntries)
	}
	if !crl.NextUpdate.Before(time.Now()) {
		t.Errorf("NextUpdate %v is not in the past", crl.NextUpdate)
	}
}

func TestKeyFormats(t *testing.T) {
	tests := []struct {
		key     KeyType
		format  KeyFormat
		pemType string
	}{
		{RSA, PKCS1, "RSA PRIVATE KEY"},
		{ECDSA, SEC1, "EC PRIVATE KEY"},
		{Ed25519, PKCS8, "PRIVATE KEY"},
		{ECDSA, PKCS8Encrypted, "ENCRYPTED PRIVATE KEY"},
		{RSA, LegacyEncrypted, "RSA PRIVATE KEY"},
	}
	for _, tt := range tests {
		key := NewKey(t, tt.key)
		block, _ := pem.Decode(PEMKey(t, key, tt.format, "pw"))
		if block == nil || block.Type != tt.pemType {
			t.Fatalf("%v/%d: block %+v", tt.key, tt.format, block)
		}
		switch tt.format {
		case PKCS8Encrypted:
			if _, err := pkcs8.ParsePKCS8PrivateKey(block.Bytes, []byte("pw")); err != nil {
				t.Errorf("decrypt PKCS#8: %v", err)
			}
		case LegacyEncrypted:
			if block.Headers["Proc-Type"] != "4,ENCRYPTED" {
				t.Errorf("headers %v", block.Headers)
			}
			if _, err := x509.DecryptPEMBlock(block, []byte("pw")); err != nil {
				t.Errorf("decrypt legacy PEM: %v", err)
			}
		}
	}
}
