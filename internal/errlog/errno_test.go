//go:build linux

package errlog

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
)

// The numbers and texts are Linux's, which nginx prints there.
func TestErrnoInNginxForm(t *testing.T) {
	reset := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	for _, tt := range []struct {
		err  error
		want string
	}{
		{syscall.ECONNREFUSED, "(111: Connection refused)"},
		{reset, "(104: Connection reset by peer)"},
		{fmt.Errorf("wrapped: %w", reset), "(104: Connection reset by peer)"},
		{os.NewSyscallError("accept", syscall.EMFILE), "(24: Too many open files)"},
		{syscall.Errno(0), ""},
		{errors.New("no errno"), ""},
		{nil, ""},
	} {
		if got := Errno(tt.err); got != tt.want {
			t.Errorf("Errno(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
