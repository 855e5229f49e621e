package pki

import (
	"crypto/x509"
	"math/big"
	"slices"
	"testing"
	"time"
)

func readCRLs(t *testing.T, ca *CA) []*x509.RevocationList {
	t.Helper()
	var out []*x509.RevocationList
	for _, der := range readPEM(t, ca.Path(CRLFile), "X509 CRL") {
		crl, err := x509.ParseRevocationList(der)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, crl)
	}
	if len(out) != 2 {
		t.Fatalf("%s holds %d CRLs, want the root's and the intermediate's", CRLFile, len(out))
	}
	return out
}

// checkCRLs checks that crl.pem holds a current CRL signed by the root and
// one signed by the intermediate that lists exactly revoked.
func checkCRLs(t *testing.T, ca *CA, now time.Time, revoked ...*big.Int) (number *big.Int) {
	t.Helper()
	crls := readCRLs(t, ca)
	for i, issuer := range []*x509.Certificate{ca.Root, ca.Intermediate} {
		crl := crls[i]
		if err := crl.CheckSignatureFrom(issuer); err != nil {
			t.Errorf("CRL %d not signed by %s: %v", i, issuer.Subject.CommonName, err)
		}
		if now.Before(crl.ThisUpdate) || !now.Before(crl.NextUpdate) {
			t.Errorf("CRL %d not current at %v: %v to %v", i, now, crl.ThisUpdate, crl.NextUpdate)
		}
		if !slices.Equal(crl.AuthorityKeyId, issuer.SubjectKeyId) {
			t.Errorf("CRL %d: authority key id %x, want %x", i, crl.AuthorityKeyId, issuer.SubjectKeyId)
		}
	}
	if n := len(crls[0].RevokedCertificateEntries); n != 0 {
		t.Errorf("root CRL lists %d certificates", n)
	}
	var got []string
	for _, e := range crls[1].RevokedCertificateEntries {
		got = append(got, e.SerialNumber.Text(16))
	}
	var want []string
	for _, sn := range revoked {
		want = append(want, sn.Text(16))
	}
	if !slices.Equal(got, want) {
		t.Errorf("intermediate CRL revokes %v, want %v", got, want)
	}
	return crls[1].Number
}

func TestRevokeListsTheSerialInTheIntermediatesCRL(t *testing.T) {
	ca, c := newCA(t, InitOptions{})
	n0 := checkCRLs(t, ca, c.t)
	a, err := ca.Issue(Request{Kind: Server, Name: "a.example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ca.Issue(Request{Kind: Server, Name: "b.example"}); err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(time.Minute)
	done, err := ca.Revoke("a.example")
	if err != nil || len(done) != 1 || done[0].Serial != a.Serial {
		t.Fatalf("revoke: %v %+v", err, done)
	}
	n1 := checkCRLs(t, ca, c.t, a.Cert.SerialNumber)
	if n1.Cmp(n0) <= 0 {
		t.Errorf("CRL number %v after %v", n1, n0)
	}
	if _, err := ca.Revoke("a.example"); err == nil {
		t.Error("revoking twice succeeded")
	}
	if _, err := ca.Revoke("nobody"); err == nil {
		t.Error("revoking an unknown name succeeded")
	}
	// A revoked name can be issued again; the new certificate is not on
	// the CRL.
	if _, err := ca.Issue(Request{Kind: Server, Name: "a.example"}); err != nil {
		t.Fatalf("issue after revoke: %v", err)
	}
	// The state survives a reopen.
	again, err := Open(ca.Dir, Env{Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	var status []string
	for _, e := range again.List() {
		status = append(status, e.Name+" "+e.Status)
	}
	if want := []string{"a.example revoked", "b.example valid", "a.example valid"}; !slices.Equal(status, want) {
		t.Errorf("list %v, want %v", status, want)
	}
}

func TestRefreshCRLKeepsItCurrent(t *testing.T) {
	ca, c := newCA(t, InitOptions{})
	is, err := ca.Issue(Request{Kind: Client, Name: "backend", Days: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ca.Revoke("backend"); err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(DefaultCRLDays*24*time.Hour - time.Hour)
	if err := ca.RefreshCRL(7); err != nil {
		t.Fatal(err)
	}
	// The revoked certificate has expired by now: it leaves the CRL.
	checkCRLs(t, ca, c.t)
	if got := ca.CRLNextUpdate(); !got.Equal(c.t.Add(7 * 24 * time.Hour)) {
		t.Errorf("next update %v, want 7 days on", got)
	}
	c.t = c.t.Add(6 * 24 * time.Hour)
	checkCRLs(t, ca, c.t)
	if got := ca.List()[0].Status; got != "revoked" {
		t.Errorf("status %q of %s", got, is.Name)
	}
}

func TestRenewKeepsSANsWithANewKey(t *testing.T) {
	ca, c := newCA(t, InitOptions{})
	old, err := ca.Issue(Request{Kind: Server, Name: "backend1", SANs: []string{"backend", "10.0.0.1"}, Days: 90})
	if err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(80 * 24 * time.Hour)
	is, err := ca.Renew("backend1", 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	leaf := verify(t, ca, ca.Path("backend1.crt"), x509.ExtKeyUsageServerAuth, c.t)
	if !leaf.Equal(is.Cert) || leaf.SerialNumber.Cmp(old.Cert.SerialNumber) == 0 {
		t.Fatal("NAME.crt is not the renewed certificate")
	}
	if !slices.Equal(leaf.DNSNames, []string{"backend"}) || len(leaf.IPAddresses) != 1 {
		t.Errorf("SANs after renewal: %v %v", leaf.DNSNames, leaf.IPAddresses)
	}
	if samePublicKey(leaf, old.Key) {
		t.Error("renewal kept the key")
	}
	if got := leaf.NotAfter.Sub(c.t); got != 90*24*time.Hour {
		t.Errorf("renewed for %v, want the original 90 days", got)
	}
	var status []string
	for _, e := range ca.List() {
		status = append(status, e.Status)
	}
	if !slices.Equal(status, []string{"superseded", "valid"}) {
		t.Errorf("statuses %v", status)
	}
	// Revoking the name revokes the superseded certificate too.
	if done, err := ca.Revoke("backend1"); err != nil || len(done) != 2 {
		t.Fatalf("revoke: %v, %d revoked", err, len(done))
	}
	checkCRLs(t, ca, c.t, old.Cert.SerialNumber, is.Cert.SerialNumber)
	if _, err := ca.Renew("backend1", 0, nil); err == nil {
		t.Error("renewing a revoked name succeeded")
	}
}

func TestRenewEncryptedNeedsThePassword(t *testing.T) {
	ca, _ := newCA(t, InitOptions{})
	if _, err := ca.Issue(Request{Kind: Client, Name: "backend", Password: []byte("pw")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ca.Renew("backend", 0, nil); err == nil {
		t.Fatal("renewed an encrypted key without a password")
	}
	is, err := ca.Renew("backend", 0, []byte("pw2"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decodeKey(readPEMRaw(t, is.KeyFile), []byte("pw2")); err != nil {
		t.Fatalf("renewed key: %v", err)
	}
}
