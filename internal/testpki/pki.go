// Package testpki builds throw-away public key infrastructures for tests
// across strait: a self-signed root, any number of intermediates, leaf
// certificates (server or client), CRLs per CA and PEM files in every key
// format an nginx configuration may name. It is an ordinary package so that
// tests of several packages can share it; production code never imports it.
package testpki

import (
	"crypto"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"testing"
	"time"
)

// Spec describes one certificate. Zero values give a certificate valid from
// an hour ago for a day, with an ECDSA key.
type Spec struct {
	Key        KeyType
	CommonName string
	DNSNames   []string
	IPs        []net.IP
	URIs       []*url.URL
	NotBefore  time.Time
	NotAfter   time.Time
	Client     bool // ExtKeyUsageClientAuth instead of ServerAuth

	// Digest is the digest the issuer signs this certificate with;
	// DigestDefault lets crypto/x509 choose (SHA-256 for P-256 and RSA).
	Digest Digest
	// Version1 writes an X.509 v1 certificate: no version field and no
	// extensions at all, whatever the template says.
	Version1 bool
	// Mutate, when set, edits the finished template just before signing:
	// the way to any key usage, constraint or extension the fields above
	// do not cover (see the helpers in extensions.go).
	Mutate func(*x509.Certificate)
}

// CA is a certificate authority: the root or an intermediate.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
	// Parents are the CAs above this one, nearest first; empty for a root.
	Parents []*CA
}

// Leaf is an end-entity certificate with its key and the intermediates a
// peer sends with it (nearest first, root excluded).
type Leaf struct {
	Cert          *x509.Certificate
	Key           crypto.Signer
	Intermediates []*x509.Certificate
}

// TLSCertificate returns the leaf, its intermediates and key for a
// crypto/tls server or client.
func (l *Leaf) TLSCertificate() tls.Certificate {
	c := tls.Certificate{PrivateKey: l.Key, Leaf: l.Cert}
	c.Certificate = append(c.Certificate, l.Cert.Raw)
	for _, ic := range l.Intermediates {
		c.Certificate = append(c.Certificate, ic.Raw)
	}
	return c
}

// Chain returns the leaf followed by its intermediates.
func (l *Leaf) Chain() []*x509.Certificate {
	return append([]*x509.Certificate{l.Cert}, l.Intermediates...)
}

func serial(tb testing.TB) *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		tb.Fatalf("testpki: serial: %v", err)
	}
	return n.Add(n, big.NewInt(1))
}

func template(tb testing.TB, s Spec) *x509.Certificate {
	now := time.Now()
	t := &x509.Certificate{
		SerialNumber: serial(tb),
		Subject:      pkix.Name{CommonName: s.CommonName, Organization: []string{"strait test"}},
		NotBefore:    s.NotBefore,
		NotAfter:     s.NotAfter,
		DNSNames:     s.DNSNames,
		IPAddresses:  s.IPs,
		URIs:         s.URIs,
	}
	if t.NotBefore.IsZero() {
		t.NotBefore = now.Add(-time.Hour)
	}
	if t.NotAfter.IsZero() {
		t.NotAfter = now.Add(24 * time.Hour)
	}
	return t
}

// create signs tmpl (after s.Mutate) with signer as parent, rewriting the
// result when s asks for a digest or version crypto/x509 does not write.
func create(tb testing.TB, s Spec, tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) *x509.Certificate {
	tb.Helper()
	if s.Mutate != nil {
		s.Mutate(tmpl)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		tb.Fatalf("testpki: create certificate %q: %v", tmpl.Subject.CommonName, err)
	}
	if s.Digest != DigestDefault || s.Version1 {
		der = resign(tb, der, s.Digest, s.Version1, signer)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatalf("testpki: parse certificate: %v", err)
	}
	return c
}

func caTemplate(tb testing.TB, s Spec) *x509.Certificate {
	t := template(tb, s)
	t.IsCA = true
	t.BasicConstraintsValid = true
	t.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	return t
}

// NewRoot returns a self-signed root CA. s.CommonName defaults to "Test Root".
func NewRoot(tb testing.TB, s Spec) *CA {
	tb.Helper()
	if s.CommonName == "" {
		s.CommonName = "Test Root"
	}
	key := NewKey(tb, s.Key)
	t := caTemplate(tb, s)
	return &CA{Cert: create(tb, s, t, t, key.Public(), key), Key: key}
}

// Intermediate returns a CA signed by ca. s.CommonName defaults to
// "<issuer CN> / sub".
func (ca *CA) Intermediate(tb testing.TB, s Spec) *CA {
	tb.Helper()
	if s.CommonName == "" {
		s.CommonName = ca.Cert.Subject.CommonName + " / sub"
	}
	key := NewKey(tb, s.Key)
	t := caTemplate(tb, s)
	parents := append([]*CA{ca}, ca.Parents...)
	return &CA{Cert: create(tb, s, t, ca.Cert, key.Public(), ca.Key), Key: key, Parents: parents}
}

func leafTemplate(tb testing.TB, s Spec) *x509.Certificate {
	t := template(tb, s)
	t.KeyUsage = x509.KeyUsageDigitalSignature
	if s.Key.IsRSA() {
		t.KeyUsage |= x509.KeyUsageKeyEncipherment
	}
	t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	if s.Client {
		t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	return t
}

// Issue returns a leaf signed by ca, carrying every intermediate between
// ca and the root (ca included when it is not the root).
func (ca *CA) Issue(tb testing.TB, s Spec) *Leaf {
	tb.Helper()
	key := NewKey(tb, s.Key)
	l := &Leaf{Cert: create(tb, s, leafTemplate(tb, s), ca.Cert, key.Public(), ca.Key), Key: key}
	if len(ca.Parents) > 0 {
		l.Intermediates = append(l.Intermediates, ca.Cert)
		for _, p := range ca.Parents[:len(ca.Parents)-1] {
			l.Intermediates = append(l.Intermediates, p.Cert)
		}
	}
	return l
}

// SelfSigned returns a self-signed end-entity certificate.
func SelfSigned(tb testing.TB, s Spec) *Leaf {
	tb.Helper()
	key := NewKey(tb, s.Key)
	t := leafTemplate(tb, s)
	return &Leaf{Cert: create(tb, s, t, t, key.Public(), key), Key: key}
}

// Chain is a root, its intermediates (root side first) and a leaf issued
// by the last intermediate (or the root when there is none).
type Chain struct {
	Root          *CA
	Intermediates []*CA
	Leaf          *Leaf
}

// NewChain builds root -> n intermediates -> leaf. CA keys use leaf.Key's
// type too. Each call makes a distinct root, so chains never trust each
// other.
func NewChain(tb testing.TB, n int, leaf Spec) *Chain {
	tb.Helper()
	root := NewRoot(tb, Spec{Key: leaf.Key, CommonName: fmt.Sprintf("Test Root %d", serial(tb).Uint64()%100000)})
	c := &Chain{Root: root}
	issuer := root
	for i := 0; i < n; i++ {
		issuer = issuer.Intermediate(tb, Spec{Key: leaf.Key, CommonName: fmt.Sprintf("%s / int %d", root.Cert.Subject.CommonName, i+1)})
		c.Intermediates = append(c.Intermediates, issuer)
	}
	c.Leaf = issuer.Issue(tb, leaf)
	return c
}

// Issuer returns the CA that signed the leaf.
func (c *Chain) Issuer() *CA {
	if len(c.Intermediates) == 0 {
		return c.Root
	}
	return c.Intermediates[len(c.Intermediates)-1]
}

// CAs returns every CA of the chain, root first.
func (c *Chain) CAs() []*CA {
	return append([]*CA{c.Root}, c.Intermediates...)
}
