package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"syscall"
	"time"

	"github.com/straitproxy/strait/internal/errlog"
	"github.com/straitproxy/strait/internal/proxy"
)

func (s *Server) startLoop(l *listener) {
	s.loops.Add(1)
	go func() {
		defer s.loops.Done()
		if l.pc != nil {
			s.udpLoop(l)
			return
		}
		s.acceptLoop(l)
	}()
}

// Accept backoff bounds, as net/http uses for temporary errors such as
// EMFILE: retry soon, then less and less often.
const (
	minAcceptBackoff = 5 * time.Millisecond
	maxAcceptBackoff = time.Second
)

func (s *Server) acceptLoop(l *listener) {
	var backoff time.Duration
	for {
		if !s.table.admit(l.stopped) {
			return
		}
		c, err := l.ln.Accept()
		if err != nil {
			s.table.leave()
			if l.stopped() || errors.Is(err, net.ErrClosed) {
				return
			}
			backoff = s.backOff(backoff, errlog.LevelCrit, "accept() failed "+acceptErrText(err), l.done)
			continue
		}
		backoff = 0
		s.stats.accepted.Add(1)
		s.sessions.Add(1)
		go func() {
			snap := s.acquireSnapshot()
			// Run once the connection is done with, maybe after this
			// goroutine has returned (a session the event loops carry).
			s.serveConn(snap, l, c, func() {
				snap.releaseSession()
				s.table.leave()
				s.sessions.Done()
			})
		}()
	}
}

// logConnsShort and logFDsShort say why accepting waits, in the words
// nginx logs when it runs out of connections or descriptors (nginx closes
// or fails to accept the client; strait leaves it in the listen backlog
// until a session ends).
func (s *Server) logConnsShort(workerConnections int) {
	s.cur.Load().log.Log(context.Background(), errlog.LevelAlert, strconv.Itoa(workerConnections)+" worker_connections are not enough")
}

func (s *Server) logFDsShort() {
	s.cur.Load().log.Log(context.Background(), errlog.LevelCrit, "accept() failed "+acceptErrText(syscall.EMFILE))
}

func acceptErrText(err error) string {
	if e := proxy.Errno(err); e != "" {
		return e
	}
	return "(" + err.Error() + ")"
}

// acquireSnapshot returns the current snapshot with the session counted.
// A snapshot is retired only after being replaced, so this settles at once.
func (s *Server) acquireSnapshot() *snapshot {
	for {
		if snap := s.cur.Load(); snap.tryAcquire() {
			return snap
		}
	}
}

// backOff logs a failed accept or receive at level and waits before the
// next one, doubling the wait each time up to maxAcceptBackoff (so that
// EMFILE or ENOBUFS do not spin the loop), or until done is closed. It
// returns the wait it used, which the caller resets to 0 on success.
func (s *Server) backOff(prev time.Duration, level slog.Level, msg string, done <-chan struct{}) time.Duration {
	next := min(max(2*prev, minAcceptBackoff), maxAcceptBackoff)
	s.cur.Load().log.Log(context.Background(), level, msg)
	t := time.NewTimer(next)
	select {
	case <-t.C:
	case <-done:
		t.Stop()
	}
	return next
}
