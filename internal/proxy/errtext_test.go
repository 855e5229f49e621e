//go:build linux

package proxy

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/straitproxy/strait/internal/errlog"
	"github.com/straitproxy/strait/internal/upstream"
)

// sockErr is err as the socket calls of package net and this package
// return it.
func sockErr(op, call string, errno syscall.Errno) error {
	return &net.OpError{Op: op, Net: "tcp", Err: os.NewSyscallError(call, errno)}
}

func TestFailureLineNamesSideCallAndLevelAsNginx(t *testing.T) {
	for _, tt := range []struct {
		name   string
		f      flowFailure
		msg    string
		action string
		level  slog.Level
	}{
		{"upstream reset while sending to it, spliced",
			flowFailure{err: sockErr("write", "splice", syscall.ECONNRESET), upstream: true, write: true},
			"writev() failed (104: Connection reset by peer)", "proxying and sending to upstream", errlog.LevelError},
		{"upstream gone while sending to it, buffered",
			flowFailure{err: sockErr("write", "write", syscall.EPIPE), upstream: true, write: true},
			"writev() failed (32: Broken pipe)", "proxying and sending to upstream", errlog.LevelError},
		{"upstream reset while reading from it",
			flowFailure{err: sockErr("read", "splice", syscall.ECONNRESET), upstream: true},
			"recv() failed (104: Connection reset by peer)", "proxying and reading from upstream", errlog.LevelError},
		{"upstream keepalive timed out",
			flowFailure{err: sockErr("read", "read", syscall.ETIMEDOUT), upstream: true},
			"recv() failed (110: Connection timed out)", "proxying and reading from upstream", errlog.LevelError},
		{"client reset while reading from it",
			flowFailure{err: sockErr("read", "read", syscall.ECONNRESET)},
			"recv() failed (104: Connection reset by peer)", "proxying and reading from client", errlog.LevelInfo},
		{"client gone while sending to it",
			flowFailure{err: sockErr("write", "splice", syscall.EPIPE), write: true},
			"writev() failed (32: Broken pipe)", "proxying and sending to client", errlog.LevelInfo},
		{"TLS upstream reset while reading",
			flowFailure{err: sockErr("read", "read", syscall.ECONNRESET), upstream: true, tls: true},
			"SSL_read() failed (104: Connection reset by peer)", "proxying and reading from upstream", errlog.LevelError},
		{"TLS upstream reset while writing",
			flowFailure{err: sockErr("write", "write", syscall.ECONNRESET), upstream: true, write: true, tls: true},
			"SSL_write() failed (104: Connection reset by peer)", "proxying and sending to upstream", errlog.LevelError},
		{"TLS alert from the upstream",
			flowFailure{err: errors.New("remote error: tls: certificate required"), upstream: true, tls: true},
			"SSL_read() failed (remote error: tls: certificate required)", "proxying and reading from upstream", errlog.LevelError},
		{"other errno on the client side is strait's trouble",
			flowFailure{err: sockErr("read", "read", syscall.EBADF)},
			"recv() failed (9: Bad file descriptor)", "proxying and reading from client", errlog.LevelAlert},
		{"other errno over TLS",
			flowFailure{err: sockErr("write", "write", syscall.ENOMEM), upstream: true, write: true, tls: true},
			"SSL_write() failed (12: Cannot allocate memory)", "proxying and sending to upstream", errlog.LevelCrit},
	} {
		t.Run(tt.name, func(t *testing.T) {
			msg, action, level := failureLine(tt.f)
			if msg != tt.msg || action != tt.action || level != tt.level {
				t.Errorf("got %q while %q at %s, want %q while %q at %s",
					msg, action, errlog.LevelName(level), tt.msg, tt.action, errlog.LevelName(tt.level))
			}
		})
	}
}

func TestAttemptErrorTextInNginxErrnoForm(t *testing.T) {
	for _, tt := range []struct {
		stage Stage
		err   error
		want  string
	}{
		{StageConnect, sockErr("dial", "connect", syscall.ECONNRESET), "connect() failed (104: Connection reset by peer)"},
		{StageConnect, sockErr("dial", "socket", syscall.EMFILE), "socket() failed (24: Too many open files)"},
		{StageConnect, sockErr("dial", "bind", syscall.EADDRNOTAVAIL), "bind() failed (99: Cannot assign requested address)"},
		{StageConnect, sockErr("write", "write", syscall.EPIPE), "send() failed (32: Broken pipe)"},
		{StageConnect, sockErr("dial", "connect", syscall.ETIMEDOUT), "upstream timed out (110: Connection timed out)"},
	} {
		if got := attemptErrorText("127.0.0.1:1", tt.stage, tt.err); got != tt.want {
			t.Errorf("attemptErrorText(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestOneFailureIsKeptPerSocket(t *testing.T) {
	reset := sockErr("read", "splice", syscall.ECONNRESET)
	pipeErr := sockErr("write", "splice", syscall.EPIPE)
	for _, tt := range []struct {
		name       string
		up, down   *flow // client->upstream, upstream->client
		want       []string
		wantUpside []bool
	}{
		{"reset read first, broken pipe echoes it",
			&flow{err: pipeErr, writeErr: true, ended: 2}, &flow{err: reset, fromUp: true, ended: 1},
			[]string{"recv() failed (104: Connection reset by peer)"}, []bool{true}},
		{"the reset wins even when it ended second",
			&flow{err: pipeErr, writeErr: true, ended: 1}, &flow{err: reset, fromUp: true, ended: 2},
			[]string{"recv() failed (104: Connection reset by peer)"}, []bool{true}},
		{"neither a reset: the first",
			&flow{err: pipeErr, writeErr: true, ended: 2}, &flow{err: sockErr("read", "read", syscall.ETIMEDOUT), fromUp: true, ended: 1},
			[]string{"recv() failed (110: Connection timed out)"}, []bool{true}},
		{"one per side, in order",
			&flow{err: reset, ended: 2}, &flow{err: sockErr("read", "read", syscall.ETIMEDOUT), fromUp: true, ended: 1},
			[]string{"recv() failed (110: Connection timed out)", "recv() failed (104: Connection reset by peer)"}, []bool{true, false}},
		{"client reset read, then the write to it fails",
			&flow{err: reset, ended: 1}, &flow{err: pipeErr, writeErr: true, fromUp: true, ended: 2},
			[]string{"recv() failed (104: Connection reset by peer)"}, []bool{false}},
		{"a clean end is no failure",
			&flow{}, &flow{err: reset, fromUp: true, ended: 1},
			[]string{"recv() failed (104: Connection reset by peer)"}, []bool{true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := &pipeState{}
			got := p.failures(false, tt.up, tt.down)
			if len(got) != len(tt.want) {
				t.Fatalf("%d failures, want %d: %+v", len(got), len(tt.want), got)
			}
			for i, f := range got {
				if msg, _, _ := failureLine(f); msg != tt.want[i] || f.upstream != tt.wantUpside[i] {
					t.Errorf("failure %d: %q upstream=%v, want %q upstream=%v", i, msg, f.upstream, tt.want[i], tt.wantUpside[i])
				}
			}
		})
	}
}

// When strait cannot open a socket, the peer is not to blame and another
// peer would fare no better: nginx logs an alert and ends with 500.
func TestLocalSocketFailureEndsWith500WithoutBlamingThePeer(t *testing.T) {
	var blamed atomic.Int32
	h := &Handler{Group: newGroup(t, spec("127.0.0.1:1", 1), spec("127.0.0.1:2", 1)), Proxy: testProxyConfig(),
		Dial: func(context.Context, string, string) (net.Conn, error) {
			return nil, sockErr("dial", "socket", syscall.EMFILE)
		},
		OnAttemptFailed: func(*upstream.Peer, Stage, error) { blamed.Add(1) },
	}
	tp := startProxy(t, h)
	roundTrip(t, tp.addr, "")
	rec := tp.record(t)
	if rec.Status != 500 || len(rec.Attempts) != 1 || blamed.Load() != 0 {
		t.Errorf("status %d, %d attempts, %d blamed on the peer; want 500, 1, 0", rec.Status, len(rec.Attempts), blamed.Load())
	}
	want := "[alert] 0#0: *1 socket() failed (24: Too many open files) while connecting to upstream, client: 127.0.0.1"
	if log := tp.log.String(); !strings.Contains(log, want) {
		t.Errorf("log lacks %q:\n%s", want, log)
	}
}
