//go:build linux

package tlsconf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
)

// The errno numbers and texts are Linux's, which nginx prints there.
func TestHandshakeErrorInNginxWords(t *testing.T) {
	reset := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	for _, tt := range []struct {
		err  *HandshakeError
		want string
	}{
		{&HandshakeError{Err: reset}, "peer closed connection in SSL handshake (104: Connection reset by peer)"},
		{&HandshakeError{Err: fmt.Errorf("tls: %w", &net.OpError{Op: "write", Err: os.NewSyscallError("write", syscall.EPIPE)})},
			"peer closed connection in SSL handshake (32: Broken pipe)"},
		{&HandshakeError{Err: io.EOF}, "peer closed connection in SSL handshake"},
		{&HandshakeError{Err: io.ErrUnexpectedEOF}, "peer closed connection in SSL handshake"},
		{&HandshakeError{Err: errors.New("remote error: tls: handshake failure")}, "SSL_do_handshake() failed (remote error: tls: handshake failure)"},
		{&HandshakeError{Err: context.DeadlineExceeded}, "upstream timed out (110: Connection timed out)"},
		{nameMismatch("backend"), `upstream SSL certificate does not match "backend"`},
		{verifyError(20, 1), "upstream SSL certificate verify error: (20:unable to get local issuer certificate)"},
	} {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%v: got %q, want %q", tt.err.Err, got, tt.want)
		}
	}
}
