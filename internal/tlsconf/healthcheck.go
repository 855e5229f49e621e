package tlsconf

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"time"
)

// clientCertGrace is how long Check waits, after a TLS 1.3 handshake in
// which the upstream asked for a client certificate, for the upstream to
// refuse it: in TLS 1.3 the client finishes its handshake before the
// server has judged the certificate, and a refusal arrives as an alert
// on the first read.
const clientCertGrace = 200 * time.Millisecond

// Check runs a health check's handshake on conn: the handshake Handshake
// runs, with the same settings and verification, but always a full one,
// never resuming a cached session, since a resumed session would not show
// a certificate the upstream has replaced since (an expired one, one that
// no longer matches). When the upstream asked for a client certificate in
// TLS 1.3, Check also waits briefly for a refusal of it. The error is a
// *HandshakeError in nginx's words.
func (c *Client) Check(ctx context.Context, conn net.Conn, peerAddr string) (*tls.Conn, error) {
	cfg := c.configFor(peerAddr).Clone()
	cfg.ClientSessionCache = nil
	requested := false
	if get := cfg.GetClientCertificate; get != nil {
		cfg.GetClientCertificate = func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
			requested = true
			return get(cri)
		}
	} else {
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			requested = true
			return &tls.Certificate{}, nil
		}
	}
	tc, _, err := c.handshake(ctx, conn, cfg)
	if err != nil {
		return nil, err
	}
	if requested && tc.ConnectionState().Version == tls.VersionTLS13 {
		deadline := time.Now().Add(clientCertGrace)
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		tc.SetReadDeadline(deadline)
		var one [1]byte
		if _, rerr := tc.Read(one[:]); rerr != nil && !errors.Is(rerr, os.ErrDeadlineExceeded) && !errors.Is(rerr, io.EOF) {
			tc.Close()
			// nginx words it as a failed handshake:
			// "SSL_do_handshake() failed (remote error: tls: ...)".
			return nil, &HandshakeError{Err: rerr}
		}
		tc.SetReadDeadline(time.Time{})
		// A byte read here (a server that speaks first) is lost; the
		// match exchange starts afresh on the next read.
	}
	return tc, nil
}
