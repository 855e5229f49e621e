package demo

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// pki is the demo's internal CA: a root, an intermediate that signs the
// upstreams' certificates, and a client certificate for strait.
type pki struct {
	root, inter       *x509.Certificate
	rootKey, interKey crypto.Signer
}

func newKey() (*ecdsa.PrivateKey, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }

func issue(tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) (*x509.Certificate, error) {
	sn, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = sn
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	if tmpl.NotAfter.IsZero() {
		tmpl.NotAfter = time.Now().Add(30 * 24 * time.Hour)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}

func newPKI() (*pki, error) {
	p := &pki{}
	rk, err := newKey()
	if err != nil {
		return nil, err
	}
	ca := &x509.Certificate{
		Subject: pkix.Name{CommonName: "strait demo root CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	if p.root, err = issue(ca, ca, rk.Public(), rk); err != nil {
		return nil, err
	}
	ik, err := newKey()
	if err != nil {
		return nil, err
	}
	in := &x509.Certificate{
		Subject: pkix.Name{CommonName: "strait demo intermediate CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	if p.inter, err = issue(in, p.root, ik.Public(), rk); err != nil {
		return nil, err
	}
	p.rootKey, p.interKey = rk, ik
	return p, nil
}

// leaf issues an end-entity certificate from the intermediate and returns
// it with its chain (leaf, intermediate) and key.
func (p *pki) leaf(cn string, dns []string, client bool) (tls.Certificate, error) {
	k, err := newKey()
	if err != nil {
		return tls.Certificate{}, err
	}
	usage := x509.ExtKeyUsageServerAuth
	if client {
		usage = x509.ExtKeyUsageClientAuth
	}
	tmpl := &x509.Certificate{
		Subject: pkix.Name{CommonName: cn}, DNSNames: dns,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{usage},
	}
	if !client {
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	c, err := issue(tmpl, p.inter, k.Public(), p.interKey)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{c.Raw, p.inter.Raw}, PrivateKey: k, Leaf: c}, nil
}

// writePEM writes certificates or a key as PEM into dir.
func writePEM(dir, name, typ string, blocks ...[]byte) (string, error) {
	var out []byte
	for _, b := range blocks {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b})...)
	}
	path := filepath.Join(dir, name)
	mode := os.FileMode(0o644)
	if typ == "PRIVATE KEY" {
		mode = 0o600
	}
	return path, os.WriteFile(path, out, mode)
}

func writeKey(dir, name string, key crypto.PrivateKey) (string, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", err
	}
	return writePEM(dir, name, "PRIVATE KEY", der)
}
