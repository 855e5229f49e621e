package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/straitproxy/strait/internal/metrics"
	"github.com/straitproxy/strait/internal/proxy"
	"github.com/straitproxy/strait/internal/tlsconf"
)

func TestAttemptResult(t *testing.T) {
	cases := []struct {
		name  string
		stage proxy.Stage
		err   error
		want  string
	}{
		{"refused", proxy.StageConnect, &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, metrics.ResultConnectError},
		{"unreachable", proxy.StageConnect, os.NewSyscallError("connect", syscall.EHOSTUNREACH), metrics.ResultConnectError},
		{"dial deadline", proxy.StageConnect, &net.OpError{Op: "dial", Err: fmt.Errorf("i/o timeout: %w", context.DeadlineExceeded)}, metrics.ResultConnectTimeout},
		{"kernel timeout", proxy.StageConnect, os.NewSyscallError("connect", syscall.ETIMEDOUT), metrics.ResultConnectTimeout},
		{"proxy header write deadline", proxy.StageConnect, os.ErrDeadlineExceeded, metrics.ResultConnectTimeout},
		{"verify", proxy.StageHandshake, &tlsconf.HandshakeError{Verify: true, Code: 21, Reason: "unable to verify the first certificate"}, metrics.ResultVerifyError},
		{"pin", proxy.StageHandshake, &tlsconf.HandshakeError{Verify: true, Pin: true, Reason: "pin mismatch"}, metrics.ResultPinMismatch},
		{"handshake eof", proxy.StageHandshake, &tlsconf.HandshakeError{Err: io.EOF}, metrics.ResultHandshakeError},
		{"handshake timeout", proxy.StageHandshake, &tlsconf.HandshakeError{Err: context.DeadlineExceeded}, metrics.ResultHandshakeError},
		{"handshake other", proxy.StageHandshake, errors.New("boom"), metrics.ResultHandshakeError},
	}
	for _, tc := range cases {
		if got := attemptResult(tc.stage, tc.err); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}
