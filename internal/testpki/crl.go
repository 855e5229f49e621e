package testpki

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"testing"
	"time"
)

// CRLSpec describes a certificate revocation list. Zero times give a CRL
// issued an hour ago that expires in a day.
type CRLSpec struct {
	Revoked    []*big.Int // serial numbers
	ThisUpdate time.Time
	NextUpdate time.Time
}

// CRL returns a PEM CRL signed by ca.
func (ca *CA) CRL(tb testing.TB, s CRLSpec) []byte {
	tb.Helper()
	now := time.Now()
	if s.ThisUpdate.IsZero() {
		s.ThisUpdate = now.Add(-time.Hour)
	}
	if s.NextUpdate.IsZero() {
		s.NextUpdate = now.Add(24 * time.Hour)
	}
	t := &x509.RevocationList{
		Number:     serial(tb),
		ThisUpdate: s.ThisUpdate,
		NextUpdate: s.NextUpdate,
	}
	for _, sn := range s.Revoked {
		t.RevokedCertificateEntries = append(t.RevokedCertificateEntries,
			x509.RevocationListEntry{SerialNumber: sn, RevocationTime: s.ThisUpdate})
	}
	der, err := x509.CreateRevocationList(rand.Reader, t, ca.Cert, ca.Key)
	if err != nil {
		tb.Fatalf("testpki: create CRL for %q: %v", ca.Cert.Subject.CommonName, err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der})
}
