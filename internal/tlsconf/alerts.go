package tlsconf

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"reflect"

	"github.com/straitproxy/strait/internal/errlog"
)

// alertReasons are OpenSSL 3.0's reason strings for the alerts a peer can
// send, by alert number (ssl_err.c; "openssl errstr 0A0003F2" and on). The
// reason code is the alert number plus SSL_AD_REASON_OFFSET (1000), and
// the packed error code is ERR_LIB_SSL (0x0A) << 23 | reason.
var alertReasons = map[uint8]string{
	10:  "sslv3 alert unexpected message",
	20:  "sslv3 alert bad record mac",
	21:  "tlsv1 alert decryption failed",
	22:  "tlsv1 alert record overflow",
	30:  "sslv3 alert decompression failure",
	40:  "sslv3 alert handshake failure",
	41:  "sslv3 alert no certificate",
	42:  "sslv3 alert bad certificate",
	43:  "sslv3 alert unsupported certificate",
	44:  "sslv3 alert certificate revoked",
	45:  "sslv3 alert certificate expired",
	46:  "sslv3 alert certificate unknown",
	47:  "sslv3 alert illegal parameter",
	48:  "tlsv1 alert unknown ca",
	49:  "tlsv1 alert access denied",
	50:  "tlsv1 alert decode error",
	51:  "tlsv1 alert decrypt error",
	60:  "tlsv1 alert export restriction",
	70:  "tlsv1 alert protocol version",
	71:  "tlsv1 alert insufficient security",
	80:  "tlsv1 alert internal error",
	86:  "tlsv1 alert inappropriate fallback",
	90:  "tlsv1 alert user cancelled",
	100: "tlsv1 alert no renegotiation",
	109: "tlsv13 alert missing extension",
	110: "tlsv1 unsupported extension",
	111: "tlsv1 certificate unobtainable",
	112: "tlsv1 unrecognized name",
	113: "tlsv1 bad certificate status response",
	114: "tlsv1 bad certificate hash value",
	115: "tlsv1 alert unknown psk identity",
	116: "tlsv13 alert certificate required",
	120: "tlsv1 alert no application protocol",
}

// PeerAlert returns the alert number of a TLS alert the peer sent, which
// crypto/tls reports as a *net.OpError "remote error" around its
// unexported alert type (printed "remote error: tls: unknown certificate
// authority"), or as a tls.AlertError.
func PeerAlert(err error) (uint8, bool) {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "remote error" && op.Err != nil {
		// The alert type is a uint8 that crypto/tls does not export;
		// its kind is the stable part.
		if v := reflect.ValueOf(op.Err); v.Kind() == reflect.Uint8 {
			return uint8(v.Uint()), true
		}
	}
	var ae tls.AlertError
	if errors.As(err, &ae) {
		return uint8(ae), true
	}
	return 0, false
}

// AlertText words a peer's alert as nginx logs OpenSSL's error queue for
// it, e.g. "SSL: error:0A000418:SSL routines::tlsv1 alert unknown
// ca:SSL alert number 48", and returns the level nginx logs it at on an
// upstream connection: error for the alerts ngx_ssl_connection_error
// counts as the peer's doing, crit for the others. ok is false when err
// is not a peer's alert.
func AlertText(err error) (text string, level slog.Level, ok bool) {
	n, ok := PeerAlert(err)
	if !ok {
		return "", 0, false
	}
	reason := 1000 + int(n)
	r, known := alertReasons[n]
	if !known {
		r = fmt.Sprintf("reason(%d)", reason)
	}
	level = errlog.LevelCrit
	if ordinaryAlert(n) {
		level = errlog.LevelError
	}
	return fmt.Sprintf("SSL: error:%08X:SSL routines::%s:SSL alert number %d", 0x0A000000|reason, r, n), level, true
}

// ordinaryAlert reports whether nginx 1.22's ngx_ssl_connection_error
// lowers an alert to the connection's own level (error for upstreams): the
// alerts of SSL 3.0 and TLS 1.0 up to no_renegotiation, those a peer sends
// in the normal course of refusing a connection. Newer alerts stay crit.
func ordinaryAlert(n uint8) bool {
	switch n {
	case 0, 10, 20, 21, 22, 30, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 60, 70, 71, 80, 90, 100:
		return true
	}
	return false
}
