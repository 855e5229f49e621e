//go:build linux

package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"

	"github.com/straitproxy/strait/internal/pki"
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
	ClientBundle string // client certificate chain followed by its key (HAProxy crt)

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

// writePKI makes the files `strait pki` makes in dir: an ECDSA P-256 root
// and intermediate, an upstream server certificate for upstreamName and
// 127.0.0.1, and the proxies' client certificate, each file holding the
// leaf and the intermediate.
func writePKI(dir string) (*pkiFiles, error) {
	ca, err := pki.Init(dir, pki.InitOptions{Org: "strait bench"}, pki.Env{})
	if err != nil {
		return nil, err
	}
	srv, err := ca.Issue(pki.Request{Kind: pki.Server, Name: upstreamName, SANs: []string{upstreamName, "127.0.0.1"}, Days: 7})
	if err != nil {
		return nil, err
	}
	cli, err := ca.Issue(pki.Request{Kind: pki.Client, Name: "proxy-client", Days: 7})
	if err != nil {
		return nil, err
	}
	p := &pkiFiles{
		CA:           ca.Path(pki.RootCertFile),
		ServerCert:   srv.CertFile,
		ServerKey:    srv.KeyFile,
		ClientCert:   cli.CertFile,
		ClientKey:    cli.KeyFile,
		ClientBundle: filepath.Join(dir, "client-bundle.pem"),
		server:       srv.TLSCertificate(),
		client:       cli.TLSCertificate(),
		pool:         x509.NewCertPool(),
	}
	p.pool.AddCert(ca.Root)
	// World-readable keys: nginx workers and redis may run as other users,
	// and this CA is thrown away after the run.
	for _, k := range []string{p.ServerKey, p.ClientKey} {
		if err := os.Chmod(k, 0o644); err != nil {
			return nil, err
		}
	}
	var bundle []byte
	for _, f := range []string{p.ClientCert, p.ClientKey} {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		bundle = append(bundle, b...)
	}
	if err := os.WriteFile(p.ClientBundle, bundle, 0o644); err != nil {
		return nil, fmt.Errorf("write %s: %w", p.ClientBundle, err)
	}
	return p, nil
}
