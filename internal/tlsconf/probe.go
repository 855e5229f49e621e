package tlsconf

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"

	"github.com/straitproxy/strait/internal/tlsconf/cipherlist"
)

// ProbeResult is what Probe saw of one handshake, for `strait check`.
type ProbeResult struct {
	// Info is what Handshake returns. When the handshake failed after
	// the upstream's certificate arrived, Protocol and Cipher still say
	// what was negotiated.
	Info
	// Chain is the certificates the upstream presented, leaf first, also
	// when they were refused; nil when the handshake failed before them.
	Chain []*x509.Certificate
	// ClientCertRequested: the upstream asked for a client certificate.
	ClientCertRequested bool
	// ClientCertSent: one was asked for and proxy_ssl_certificate gave
	// one to send (otherwise an empty certificate list went out).
	ClientCertSent bool
	// Conn is the established connection, nil when the handshake failed;
	// the caller closes it.
	Conn *tls.Conn
}

// Probe runs the handshake Handshake would run on conn, with the same
// settings, verification and the peer's own session cache (so a second
// Probe of the same peer may resume the first one's session), and reports
// what it saw on the way. The error is Handshake's.
func (c *Client) Probe(ctx context.Context, conn net.Conn, peerAddr string) (ProbeResult, error) {
	var r ProbeResult
	// A clone shares the peer's ClientSessionCache; the hooks below
	// only watch and hand on to the profile's own.
	cfg := c.configFor(peerAddr).Clone()
	getCert := cfg.GetClientCertificate
	cfg.GetClientCertificate = func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
		r.ClientCertRequested = true
		if getCert == nil {
			return &tls.Certificate{}, nil // what crypto/tls sends without one
		}
		cert, err := getCert(cri)
		r.ClientCertSent = err == nil && cert != nil && len(cert.Certificate) > 0
		return cert, err
	}
	verify := cfg.VerifyConnection
	var seen tls.ConnectionState
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		seen = cs // runs on full and resumed handshakes, verifying or not
		if verify == nil {
			return nil
		}
		return verify(cs)
	}
	tc, info, err := c.handshake(ctx, conn, cfg)
	r.Info, r.Conn, r.Chain = info, tc, seen.PeerCertificates
	if err != nil && seen.Version != 0 {
		r.Protocol = protocolName(seen.Version)
		r.Cipher = cipherlist.Name(seen.CipherSuite)
		if r.Cipher == "" {
			r.Cipher = tls.CipherSuiteName(seen.CipherSuite)
		}
	}
	return r, err
}
