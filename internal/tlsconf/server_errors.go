package tlsconf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"github.com/straitproxy/strait/internal/errlog"
)

// Reasons a client handshake failed, the label of strait's metrics.
const (
	ReasonTimeout       = "timeout"
	ReasonClosed        = "closed"
	ReasonProtocol      = "protocol"       // no common version
	ReasonCipher        = "cipher"         // no common cipher suite
	ReasonALPN          = "alpn"           // no common ALPN protocol
	ReasonNotTLS        = "not_tls"        // the client did not speak TLS
	ReasonAlert         = "alert"          // the client sent an alert
	ReasonRejected      = "rejected"       // ssl_reject_handshake
	ReasonVerify        = "verify"         // the client certificate failed verification
	ReasonNoCertificate = "no_certificate" // ssl_verify_client on and none sent
	ReasonOther         = "other"
)

// ServerHandshakeError is a failed client handshake, worded as nginx logs
// it (the caller appends " while SSL handshaking"). nginx logs all of
// these at info level: they are the client's doing.
type ServerHandshakeError struct {
	Msg    string
	Reason string
	Err    error
}

func (e *ServerHandshakeError) Error() string { return e.Msg }
func (e *ServerHandshakeError) Unwrap() error { return e.Err }

// openSSLReasons maps crypto/tls's own failure texts to the OpenSSL
// error nginx would log for the same client.
var openSSLReasons = []struct {
	goText, openssl, reason string
}{
	{"no cipher suite supported by both client and server", "error:0A0000C1:SSL routines::no shared cipher", ReasonCipher},
	{"client offered only unsupported versions", "error:0A000102:SSL routines::unsupported protocol", ReasonProtocol},
	{"first record does not look like a TLS handshake", "error:0A00010B:SSL routines::wrong version number", ReasonNotTLS},
	{"client requested unsupported application protocols", "error:0A0000EB:SSL routines::no application protocol", ReasonALPN},
	{"unsupported SSLv2 handshake received", "error:0A00010B:SSL routines::wrong version number", ReasonNotTLS},
	{"no ECDHE curve supported by both client and server", "error:0A000065:SSL routines::no suitable key share", ReasonCipher},
	{"no certificate available for the client", "error:0A0000C1:SSL routines::no shared cipher", ReasonCipher},
}

// alertTexts are crypto/tls's texts of the alerts a client may send, by
// number; OpenSSL names them "sslv3 alert ..." or "tlsv1 alert ...".
var alertTexts = map[string]struct {
	n    int
	name string
}{
	"handshake failure":              {40, "sslv3 alert handshake failure"},
	"bad certificate":                {42, "sslv3 alert bad certificate"},
	"unsupported certificate":        {43, "sslv3 alert unsupported certificate"},
	"revoked certificate":            {44, "sslv3 alert certificate revoked"},
	"expired certificate":            {45, "sslv3 alert certificate expired"},
	"unknown certificate":            {46, "sslv3 alert certificate unknown"},
	"illegal parameter":              {47, "sslv3 alert illegal parameter"},
	"unknown certificate authority":  {48, "tlsv1 alert unknown ca"},
	"access denied":                  {49, "tlsv1 alert access denied"},
	"error decoding message":         {50, "tlsv1 alert decode error"},
	"error decrypting message":       {51, "tlsv1 alert decrypt error"},
	"protocol version not supported": {70, "tlsv1 alert protocol version"},
	"insufficient security level":    {71, "tlsv1 alert insufficient security"},
	"internal error":                 {80, "tlsv1 alert internal error"},
	"inappropriate fallback":         {86, "tlsv1 alert inappropriate fallback"},
	"user canceled":                  {90, "tlsv1 alert user cancelled"},
	"missing extension":              {109, "tlsv1 alert missing extension"},
	"unrecognized name":              {112, "tlsv1 unrecognized name"},
	"certificate required":           {116, "tlsv13 alert certificate required"},
	"no application protocol":        {120, "tlsv1 alert no application protocol"},
}

// classifyServerError words a crypto/tls server handshake error as
// nginx's ngx_ssl_handshake would.
func classifyServerError(ctx context.Context, err error) *ServerHandshakeError {
	var op *net.OpError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded):
		return &ServerHandshakeError{Msg: "client timed out (110: Connection timed out)", Reason: ReasonTimeout, Err: err}
	case ctx.Err() != nil:
		return &ServerHandshakeError{Msg: "client closed connection", Reason: ReasonClosed, Err: err}
	case errors.As(err, &op) && op.Op == "remote error":
		text := strings.TrimPrefix(op.Err.Error(), "tls: ")
		if a, ok := alertTexts[text]; ok {
			return &ServerHandshakeError{Reason: ReasonAlert, Err: err,
				Msg: fmt.Sprintf("SSL_do_handshake() failed (SSL: error:0A%06X:SSL routines::%s:SSL alert number %d)", 1000+a.n, a.name, a.n)}
		}
		return &ServerHandshakeError{Reason: ReasonAlert, Err: err,
			Msg: fmt.Sprintf("SSL_do_handshake() failed (SSL: %s)", op.Err.Error())}
	case errlog.Errno(err) != "":
		return &ServerHandshakeError{Msg: "peer closed connection in SSL handshake " + errlog.Errno(err), Reason: ReasonClosed, Err: err}
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed):
		return &ServerHandshakeError{Msg: "peer closed connection in SSL handshake", Reason: ReasonClosed, Err: err}
	}
	text := err.Error()
	for _, r := range openSSLReasons {
		if strings.Contains(text, r.goText) {
			return &ServerHandshakeError{Msg: "SSL_do_handshake() failed (SSL: " + r.openssl + ")", Reason: r.reason, Err: err}
		}
	}
	return &ServerHandshakeError{Msg: "SSL_do_handshake() failed (SSL: " + text + ")", Reason: ReasonOther, Err: err}
}
