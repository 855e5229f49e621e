package server

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/straitproxy/strait/internal/errlog"
	"github.com/straitproxy/strait/internal/proxy"
)

// connGate is worker_connections: a process-wide cap on open sessions.
// Accept loops wait at the gate before accepting, so at the cap new
// connections queue in the kernel's backlog instead of being dropped.
type connGate struct {
	mu     sync.Mutex
	cond   *sync.Cond
	max    int // 0: no cap
	active int
	full   bool // logged the current episode of being at the cap
}

func newConnGate() *connGate {
	g := &connGate{}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// acquire takes a slot, waiting while the gate is full; onFull runs once
// each time the cap is reached. It returns false once l is closed.
func (g *connGate) acquire(l *listener, onFull func(max int)) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	for g.max > 0 && g.active >= g.max && !l.closed.Load() {
		if !g.full {
			g.full = true
			onFull(g.max)
		}
		g.cond.Wait()
	}
	if l.closed.Load() {
		return false
	}
	g.active++
	return true
}

func (g *connGate) release() {
	g.mu.Lock()
	g.active--
	if g.active < g.max {
		g.full = false
	}
	g.mu.Unlock()
	g.cond.Broadcast()
}

func (g *connGate) setMax(n int) {
	g.mu.Lock()
	g.max = n
	g.mu.Unlock()
	g.cond.Broadcast()
}

// wake makes waiting accept loops re-check whether their listener closed.
func (g *connGate) wake() { g.cond.Broadcast() }

func (s *Server) startLoop(l *listener) {
	s.loops.Add(1)
	go func() {
		defer s.loops.Done()
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
		if !s.gate.acquire(l, s.logGateFull) {
			return
		}
		c, err := l.ln.Accept()
		if err != nil {
			s.gate.release()
			if l.closed.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			backoff = min(max(2*backoff, minAcceptBackoff), maxAcceptBackoff)
			s.cur.Load().log.Log(context.Background(), errlog.LevelCrit, "accept() failed "+acceptErrText(err))
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-l.done:
				t.Stop()
			}
			continue
		}
		backoff = 0
		s.stats.accepted.Add(1)
		s.sessions.Add(1)
		go func() {
			defer s.sessions.Done()
			defer s.gate.release()
			snap := s.acquireSnapshot()
			defer snap.releaseSession()
			s.serveConn(snap, l, c)
		}()
	}
}

func (s *Server) logGateFull(max int) {
	s.cur.Load().log.Warn(strconv.Itoa(max) + " worker_connections are not enough, waiting for sessions to end")
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
