package tlsconf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/straitproxy/strait/internal/errlog"
)

// codeHostnameMismatch is OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH; nginx
// reports it in its own words (see HandshakeError.Error).
const codeHostnameMismatch = 62

// HandshakeError is a failed TLS handshake with an upstream. Its message
// is worded as nginx logs it; the caller appends " while SSL handshaking
// to upstream".
type HandshakeError struct {
	Verify bool   // the peer's certificate was refused (a verification error, a name or pin mismatch)
	Pin    bool   // refused by proxy_ssl_pin_sha256: the chain verified, but no key in it is pinned
	Code   int    // OpenSSL X509_V_ERR_* code when Verify; 62 for a name mismatch
	Reason string // OpenSSL's reason text for Code
	Name   string // the name checked, for a name mismatch
	Err    error  // the underlying error from crypto/tls, if any
}

func (e *HandshakeError) Error() string {
	switch {
	case e.Pin:
		return "upstream SSL certificate pin mismatch: no certificate of the chain matches proxy_ssl_pin_sha256"
	case e.Verify && e.Code == codeHostnameMismatch:
		return fmt.Sprintf("upstream SSL certificate does not match %q", e.Name)
	case e.Verify:
		return fmt.Sprintf("upstream SSL certificate verify error: (%d:%s)", e.Code, e.Reason)
	case errors.Is(e.Err, context.DeadlineExceeded):
		return "upstream timed out (110: Connection timed out)"
	case errlog.Errno(e.Err) != "":
		// A system error leaves OpenSSL's error queue empty, which
		// nginx words as the peer closing (ngx_ssl_handshake), followed
		// by the errno: "(104: Connection reset by peer)".
		return "peer closed connection in SSL handshake " + errlog.Errno(e.Err)
	case errors.Is(e.Err, io.EOF) || errors.Is(e.Err, io.ErrUnexpectedEOF):
		return "peer closed connection in SSL handshake"
	default:
		if text, _, ok := AlertText(e.Err); ok {
			return "SSL_do_handshake() failed (" + text + ")"
		}
		return fmt.Sprintf("SSL_do_handshake() failed (%v)", e.Err)
	}
}

// Level is the level nginx logs the failure at: crit for a peer's alert
// that nginx does not count as ordinary (unrecognized_name, for one), else
// error.
func (e *HandshakeError) Level() slog.Level {
	if _, level, ok := AlertText(e.Err); ok && !e.Verify {
		return level
	}
	return errlog.LevelError
}

func (e *HandshakeError) Unwrap() error { return e.Err }

func verifyError(code, depth int) *HandshakeError {
	return &HandshakeError{Verify: true, Code: code, Reason: verifyReason(code),
		Err: fmt.Errorf("certificate at depth %d: %s", depth, verifyReason(code))}
}

func nameMismatch(name string) *HandshakeError {
	return &HandshakeError{Verify: true, Code: codeHostnameMismatch, Reason: "hostname mismatch", Name: name,
		Err: fmt.Errorf("certificate does not match %q", name)}
}
