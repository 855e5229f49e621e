package tlsconf

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"slices"
	"time"
)

var errPinsWithoutVerify = errors.New("proxy_ssl_pin_sha256 requires proxy_ssl_verify on")

// pinMismatchReason is $upstream_ssl_verify for a pin mismatch, worded
// like OpenSSL's "hostname mismatch".
const pinMismatchReason = "pin mismatch"

// checkPins accepts peer when a certificate of the chain that verified it
// has a pinned key. The chain is the one verification built: the leaf,
// the intermediates it used (which may come from the trusted file rather
// than from the peer) and the anchor; certificates the peer sent but the
// path did not use are not considered, so a peer cannot satisfy a pin by
// appending a stray certificate.
func (c *Client) checkPins(chain *chainVerifier, peer []*x509.Certificate, now time.Time) error {
	if len(c.pins) == 0 {
		return nil
	}
	var ignored errorList // the chain already verified
	for _, cert := range buildChain(peer, chain.store, chain.depth, now, &ignored).certs {
		if slices.Contains(c.pins, sha256.Sum256(cert.RawSubjectPublicKeyInfo)) {
			return nil
		}
	}
	return &HandshakeError{Verify: true, Pin: true, Reason: pinMismatchReason,
		Err: errors.New("no certificate of the chain matches proxy_ssl_pin_sha256")}
}

// PinSHA256 is cert's proxy_ssl_pin_sha256 value: the base64 SHA-256
// digest of its SubjectPublicKeyInfo.
func PinSHA256(cert *x509.Certificate) string {
	return EncodePin(sha256.Sum256(cert.RawSubjectPublicKeyInfo))
}

// EncodePin writes a digest the way proxy_ssl_pin_sha256 takes it.
func EncodePin(pin [sha256.Size]byte) string {
	return base64.StdEncoding.EncodeToString(pin[:])
}
