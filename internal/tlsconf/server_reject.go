package tlsconf

import (
	"context"
	"io"
	"net"
	"time"
)

// maxRecord bounds the first record read from a client whose handshake
// is rejected: a TLS plaintext record carries at most 2^14 bytes.
const maxRecord = 5 + 1<<14

// rejectHandshake answers a ClientHello with a fatal unrecognized_name
// alert, as nginx's ssl_reject_handshake does from its server name
// callback. crypto/tls can only refuse with internal_error, so strait
// reads the client's first record and writes the alert itself.
func rejectHandshake(ctx context.Context, conn net.Conn) error {
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	var hdr [5]byte
	if _, err := io.ReadFull(conn, hdr[:]); err != nil {
		return classifyServerError(ctx, err)
	}
	n := int(hdr[3])<<8 | int(hdr[4])
	if hdr[0] != 22 || 5+n > maxRecord {
		return &ServerHandshakeError{Msg: "SSL_do_handshake() failed (SSL: error:0A00010B:SSL routines::wrong version number)", Reason: ReasonNotTLS}
	}
	if _, err := io.CopyN(io.Discard, conn, int64(n)); err != nil {
		return classifyServerError(ctx, err)
	}
	conn.SetWriteDeadline(time.Now().Add(rejectDeadline))
	// alert record: type 21, TLS 1.0 record version (no version is
	// negotiated yet), level fatal (2), unrecognized_name (112).
	conn.Write([]byte{21, 3, 1, 0, 2, 2, 112})
	return &ServerHandshakeError{Msg: "handshake rejected", Reason: ReasonRejected}
}
