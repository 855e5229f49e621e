//go:build linux

package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// upstreamName is the name in the upstream certificate and the name every
// proxy verifies and sends as SNI.
const upstreamName = "upstream.bench"

// pkiFiles are the PEM files the proxies and upstreams are configured with.
type pkiFiles struct {
	CA           string // CA certificate: trust anchor on both sides
	ServerCert   string // upstream certificate
	ServerKey    string
	ClientCert   string // the proxies' client certificate
	ClientKey    string
	ClientBundle string // client certificate followed by its key (HAProxy crt)

	server tls.Certificate
	client tls.Certificate
	pool   *x509.CertPool
}

// serverTLS is the TLS configuration of the harness's own upstreams:
// TLS 1.3, client certificates required and verified.
func (p *pkiFiles) serverTLS() *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{p.server},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    p.pool,
		MinVersion:   tls.VersionTLS13,
	}
}

// clientTLS is what the direct baseline uses to reach a TLS upstream, with
// a session cache when resumption is wanted.
func (p *pkiFiles) clientTLS(resume bool) *tls.Config {
	c := &tls.Config{
		Certificates: []tls.Certificate{p.client},
		RootCAs:      p.pool,
		ServerName:   upstreamName,
		MinVersion:   tls.VersionTLS13,
		// The groups the proxies are configured with (benchGroups).
		CurvePreferences: []tls.CurveID{tls.X25519, tls.CurveP256},
	}
	if resume {
		c.ClientSessionCache = tls.NewLRUClientSessionCache(256)
	}
	return c
}

type certSpec struct {
	name   string
	usage  x509.ExtKeyUsage
	dns    []string
	ips    []net.IP
	isCA   bool
	issuer *x509.Certificate
	signer *ecdsa.PrivateKey
}

func newCert(s certSpec) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate key for %s: %w", s.name, err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, nil, fmt.Errorf("serial for %s: %w", s.name, err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial.Add(serial, big.NewInt(1)),
		Subject:      pkix.Name{CommonName: s.name, Organization: []string{"strait bench"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(7 * 24 * time.Hour),
		DNSNames:     s.dns,
		IPAddresses:  s.ips,
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	if s.isCA {
		tmpl.IsCA = true
		tmpl.BasicConstraintsValid = true
		tmpl.KeyUsage |= x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{s.usage}
	}
	issuer, signer := s.issuer, s.signer
	if issuer == nil {
		issuer, signer = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, &key.PublicKey, signer)
	if err != nil {
		return nil, nil, fmt.Errorf("create certificate %s: %w", s.name, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("parse certificate %s: %w", s.name, err)
	}
	return cert, key, nil
}

func certPEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

func keyPEM(k *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, fmt.Errorf("marshal key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// writePKI makes an ECDSA P-256 CA, an upstream server certificate for
// upstreamName and 127.0.0.1, and a client certificate, and writes them to
// dir.
func writePKI(dir string) (*pkiFiles, error) {
	ca, caKey, err := newCert(certSpec{name: "strait bench CA", isCA: true})
	if err != nil {
		return nil, err
	}
	srv, srvKey, err := newCert(certSpec{name: upstreamName, usage: x509.ExtKeyUsageServerAuth,
		dns: []string{upstreamName}, ips: []net.IP{net.IPv4(127, 0, 0, 1)}, issuer: ca, signer: caKey})
	if err != nil {
		return nil, err
	}
	cli, cliKey, err := newCert(certSpec{name: "proxy client", usage: x509.ExtKeyUsageClientAuth, issuer: ca, signer: caKey})
	if err != nil {
		return nil, err
	}
	srvKeyPEM, err := keyPEM(srvKey)
	if err != nil {
		return nil, err
	}
	cliKeyPEM, err := keyPEM(cliKey)
	if err != nil {
		return nil, err
	}
	p := &pkiFiles{
		CA:           filepath.Join(dir, "ca.pem"),
		ServerCert:   filepath.Join(dir, "server.pem"),
		ServerKey:    filepath.Join(dir, "server.key"),
		ClientCert:   filepath.Join(dir, "client.pem"),
		ClientKey:    filepath.Join(dir, "client.key"),
		ClientBundle: filepath.Join(dir, "client-bundle.pem"),
		pool:         x509.NewCertPool(),
	}
	p.pool.AddCert(ca)
	files := []struct {
		path string
		data []byte
	}{
		{p.CA, certPEM(ca)},
		{p.ServerCert, certPEM(srv)},
		{p.ServerKey, srvKeyPEM},
		{p.ClientCert, certPEM(cli)},
		{p.ClientKey, cliKeyPEM},
		{p.ClientBundle, append(certPEM(cli), cliKeyPEM...)},
	}
	for _, f := range files {
		// World-readable: nginx workers and redis may run as other users.
		if err := os.WriteFile(f.path, f.data, 0o644); err != nil {
			return nil, fmt.Errorf("write %s: %w", f.path, err)
		}
	}
	if p.server, err = tls.X509KeyPair(certPEM(srv), srvKeyPEM); err != nil {
		return nil, fmt.Errorf("load server key pair: %w", err)
	}
	if p.client, err = tls.X509KeyPair(certPEM(cli), cliKeyPEM); err != nil {
		return nil, fmt.Errorf("load client key pair: %w", err)
	}
	return p, nil
}
