package pki

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/youmark/pkcs8"
)

// clock is a settable time source for Env.Now.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newCA(t *testing.T, o InitOptions) (*CA, *clock) {
	t.Helper()
	c := &clock{t: time.Now().Truncate(time.Second)} // certificates hold whole seconds
	ca, err := Init(t.TempDir(), o, Env{Now: c.now})
	if err != nil {
		t.Fatalf("init: %v", err)
	}
	return ca, c
}

func readPEM(t *testing.T, path, typ string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			return out
		}
		if blk.Type != typ {
			t.Fatalf("%s: PEM block %q, want %q", path, blk.Type, typ)
		}
		out = append(out, blk.Bytes)
	}
}

func readCerts(t *testing.T, path string) []*x509.Certificate {
	t.Helper()
	var certs []*x509.Certificate
	for _, der := range readPEM(t, path, "CERTIFICATE") {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		certs = append(certs, c)
	}
	return certs
}

func wantMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %v, want %v", path, got, want)
	}
}

// verify checks a NAME.crt file the way a peer does: leaf first, the
// intermediate after it, trusted_ca_cert.crt as the only anchor.
func verify(t *testing.T, ca *CA, certFile string, usage x509.ExtKeyUsage, now time.Time) *x509.Certificate {
	t.Helper()
	chain := readCerts(t, certFile)
	if len(chain) != 2 || !chain[1].Equal(ca.Intermediate) {
		t.Fatalf("%s: want leaf and intermediate, got %d certificates", certFile, len(chain))
	}
	roots, inters := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(readCerts(t, ca.Path(RootCertFile))[0])
	inters.AddCert(chain[1])
	if _, err := chain[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inters,
		KeyUsages: []x509.ExtKeyUsage{usage}, CurrentTime: now}); err != nil {
		t.Fatalf("%s does not verify: %v", certFile, err)
	}
	return chain[0]
}

func TestInitWritesRootAndIntermediate(t *testing.T) {
	ca, _ := newCA(t, InitOptions{Org: "Example"})
	root := readCerts(t, ca.Path(RootCertFile))
	inter := readCerts(t, ca.Path(IntermediateCertFile))
	if len(root) != 1 || len(inter) != 1 {
		t.Fatalf("want one certificate per CA file, got %d and %d", len(root), len(inter))
	}
	r, i := root[0], inter[0]
	if !r.IsCA || r.MaxPathLen != 1 || r.CheckSignatureFrom(r) != nil || r.Subject.CommonName != "Example Root CA" {
		t.Errorf("root: CA %v, path length %d, subject %q, self-signed: %v", r.IsCA, r.MaxPathLen, r.Subject, r.CheckSignatureFrom(r))
	}
	if !i.IsCA || i.MaxPathLen != 0 || !i.MaxPathLenZero || i.CheckSignatureFrom(r) != nil {
		t.Errorf("intermediate: CA %v, path length %d (zero %v), signed by root: %v", i.IsCA, i.MaxPathLen, i.MaxPathLenZero, i.CheckSignatureFrom(r))
	}
	for _, c := range []*x509.Certificate{r, i} {
		if c.KeyUsage != x509.KeyUsageCertSign|x509.KeyUsageCRLSign || len(c.SubjectKeyId) == 0 {
			t.Errorf("%s: key usage %v, subject key id %x", c.Subject.CommonName, c.KeyUsage, c.SubjectKeyId)
		}
		if _, ok := c.PublicKey.(*ecdsa.PublicKey); !ok || c.SignatureAlgorithm != x509.ECDSAWithSHA256 {
			t.Errorf("%s: key %T signed with %v, want ECDSA P-256 with SHA-256", c.Subject.CommonName, c.PublicKey, c.SignatureAlgorithm)
		}
		if days := c.NotAfter.Sub(c.NotBefore) - backdate; days != DefaultCADays*24*time.Hour {
			t.Errorf("%s: valid %v", c.Subject.CommonName, days)
		}
	}
	wantMode(t, ca.Path(RootKeyFile), 0o600)
	wantMode(t, ca.Path(IntermediateKeyFile), 0o600)
	wantMode(t, ca.Path(PrivateDir), 0o700)
	wantMode(t, ca.Path(RootCertFile), 0o644)
	wantMode(t, ca.Path(IntermediateCertFile), 0o644)
	wantMode(t, ca.Path(CRLFile), 0o644)

	again, err := Open(ca.Dir, Env{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	if !again.Root.Equal(r) || !again.Intermediate.Equal(i) || again.Key() != (KeyAlgorithm{}) {
		t.Error("open does not read back what init wrote")
	}
}

func TestInitRefusesToOverwrite(t *testing.T) {
	ca, _ := newCA(t, InitOptions{})
	_, err := Init(ca.Dir, InitOptions{}, Env{})
	if !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), ca.Dir) {
		t.Fatalf("second init: %v, want ErrExists naming the directory", err)
	}
	if got := readCerts(t, ca.Path(RootCertFile))[0]; !got.Equal(ca.Root) {
		t.Fatal("refused init replaced the root")
	}
	forced, err := Init(ca.Dir, InitOptions{Force: true}, Env{})
	if err != nil {
		t.Fatalf("init --force: %v", err)
	}
	if forced.Root.Equal(ca.Root) || !readCerts(t, ca.Path(RootCertFile))[0].Equal(forced.Root) {
		t.Fatal("init --force kept the old root")
	}
}

func TestInitRSA(t *testing.T) {
	ca, _ := newCA(t, InitOptions{Key: KeyAlgorithm{RSABits: 2048}})
	is, err := ca.Issue(Request{Kind: Server, Name: "db.internal"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*x509.Certificate{ca.Root, ca.Intermediate, is.Cert} {
		k, ok := c.PublicKey.(*rsa.PublicKey)
		if !ok || k.N.BitLen() != 2048 || c.SignatureAlgorithm != x509.SHA256WithRSA {
			t.Errorf("%s: key %T, signature %v", c.Subject.CommonName, c.PublicKey, c.SignatureAlgorithm)
		}
	}
	if is.Cert.KeyUsage != x509.KeyUsageDigitalSignature|x509.KeyUsageKeyEncipherment {
		t.Errorf("RSA server key usage %v, want digitalSignature and keyEncipherment", is.Cert.KeyUsage)
	}
	if _, err := Init(t.TempDir(), InitOptions{Key: KeyAlgorithm{RSABits: 1024}}, Env{}); err == nil {
		t.Error("RSA 1024 accepted")
	}
}

func TestIssueServer(t *testing.T) {
	ca, c := newCA(t, InitOptions{})
	is, err := ca.Issue(Request{Kind: Server, Name: "backend1", SANs: []string{"backend", "backend1.example.com", "127.0.0.1", "::1"}, Days: 30})
	if err != nil {
		t.Fatal(err)
	}
	leaf := verify(t, ca, ca.Path("backend1.crt"), x509.ExtKeyUsageServerAuth, c.t)
	if !slices.Equal(leaf.DNSNames, []string{"backend", "backend1.example.com"}) ||
		len(leaf.IPAddresses) != 2 || !leaf.IPAddresses[0].Equal(net.IPv4(127, 0, 0, 1)) || !leaf.IPAddresses[1].Equal(net.IPv6loopback) {
		t.Errorf("SANs %v %v", leaf.DNSNames, leaf.IPAddresses)
	}
	if leaf.KeyUsage != x509.KeyUsageDigitalSignature || !slices.Equal(leaf.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) || leaf.IsCA {
		t.Errorf("key usage %v, extended %v, CA %v", leaf.KeyUsage, leaf.ExtKeyUsage, leaf.IsCA)
	}
	if err := leaf.VerifyHostname("backend"); err != nil {
		t.Error(err)
	}
	if got := leaf.NotAfter.Sub(c.t); got != 30*24*time.Hour {
		t.Errorf("valid for %v from now, want 30 days", got)
	}
	wantMode(t, is.KeyFile, 0o600)
	wantMode(t, is.CertFile, 0o644)
	key, err := decodeKey(slices.Concat(readPEMRaw(t, is.KeyFile)), nil)
	if err != nil || !samePublicKey(leaf, key) {
		t.Fatalf("key file: %v", err)
	}

	// Without --san the name is the SAN.
	is, err = ca.Issue(Request{Kind: Server, Name: "10.1.2.3"})
	if err != nil || len(is.Cert.IPAddresses) != 1 || len(is.Cert.DNSNames) != 0 {
		t.Errorf("name as SAN: %v %v", err, is.Cert.IPAddresses)
	}
	if _, err := ca.Issue(Request{Kind: Server, Name: "backend1"}); err == nil || !strings.Contains(err.Error(), "already issued") {
		t.Errorf("issuing a valid name again: %v", err)
	}
	for _, bad := range []Request{
		{Kind: Server, Name: "x", SANs: []string{"a_b.example"}},
		{Kind: Server, Name: "under_score"},
		{Kind: Server, Name: "../escape"},
		{Kind: Server, Name: "trusted_ca_cert"},
		{Kind: Client, Name: "c", SANs: []string{"c.example"}},
		{Kind: Server, Name: "long", Days: 4000},
	} {
		if _, err := ca.Issue(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func readPEMRaw(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestIssueClient(t *testing.T) {
	ca, c := newCA(t, InitOptions{})
	is, err := ca.Issue(Request{Kind: Client, Name: "backend"})
	if err != nil {
		t.Fatal(err)
	}
	if is.CertFile != filepath.Join(ca.Dir, "backend.crt") || is.KeyFile != filepath.Join(ca.Dir, "backend.key") {
		t.Errorf("files %s %s, want the article's backend.crt and backend.key", is.CertFile, is.KeyFile)
	}
	leaf := verify(t, ca, is.CertFile, x509.ExtKeyUsageClientAuth, c.t)
	if !slices.Equal(leaf.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}) || len(leaf.DNSNames)+len(leaf.IPAddresses) != 0 {
		t.Errorf("client: extended key usage %v, SANs %v %v", leaf.ExtKeyUsage, leaf.DNSNames, leaf.IPAddresses)
	}
	if got := leaf.NotAfter.Sub(c.t); got != DefaultLeafDays*24*time.Hour {
		t.Errorf("valid for %v", got)
	}
}

func TestIssueEncryptedKey(t *testing.T) {
	ca, _ := newCA(t, InitOptions{})
	is, err := ca.Issue(Request{Kind: Client, Name: "backend", Password: []byte("s3cret")})
	if err != nil {
		t.Fatal(err)
	}
	der := readPEM(t, is.KeyFile, "ENCRYPTED PRIVATE KEY")
	k, _, err := pkcs8.ParsePrivateKey(der[0], []byte("s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	if !samePublicKey(is.Cert, k.(*ecdsa.PrivateKey)) {
		t.Error("decrypted key does not match the certificate")
	}
	for name, oid := range map[string]asn1.ObjectIdentifier{
		"PBES2":          {1, 2, 840, 113549, 1, 5, 13},
		"PBKDF2":         {1, 2, 840, 113549, 1, 5, 12},
		"hmacWithSHA256": {1, 2, 840, 113549, 2, 9},
		"aes256-CBC":     {2, 16, 840, 1, 101, 3, 4, 1, 42},
	} {
		if b, _ := asn1.Marshal(oid); !bytes.Contains(der[0], b) {
			t.Errorf("encrypted key does not use %s", name)
		}
	}
	if _, err := decodeKey(readPEMRaw(t, is.KeyFile), []byte("wrong")); err == nil || strings.Contains(err.Error(), "wrong") {
		t.Errorf("wrong password: %v", err)
	}
	wantMode(t, is.KeyFile, 0o600)
}
