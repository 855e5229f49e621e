package server

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/straitproxy/strait/internal/errlog"
)

// maxDatagram is the largest datagram a UDP listen reads, nginx's
// buffer in ngx_event_recvmsg: a UDP payload over IPv4 cannot be longer.
const maxDatagram = 65535

// udpQueue is how many of a client's datagrams wait for its session.
// nginx hands each datagram to the session at once and drops it when the
// session cannot take it; the queue only covers the time the session's
// goroutine takes to wake, and what does not fit is dropped the same way.
const udpQueue = 16

// udpSessions are the sessions of one UDP socket by client address and
// port, nginx's per-listening rbtree of UDP connections.
type udpSessions struct {
	mu       sync.Mutex
	sessions map[netip.AddrPort]*udpEntry
}

// udpEntry is a running session's mailbox.
type udpEntry struct {
	in chan []byte
}

func newUDPSessions() *udpSessions {
	return &udpSessions{sessions: map[netip.AddrPort]*udpEntry{}}
}

// deliver hands b to the session of from and reports whether there was
// one; a datagram the session has no room for is dropped.
func (u *udpSessions) deliver(from netip.AddrPort, b []byte) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	e := u.sessions[from]
	if e == nil {
		return false
	}
	select {
	case e.in <- b:
	default:
	}
	return true
}

// remove takes e out of the table, so that from's next datagram starts a
// new session, and returns the datagrams e had not taken yet.
func (u *udpSessions) remove(from netip.AddrPort, e *udpEntry) [][]byte {
	u.mu.Lock()
	if u.sessions[from] == e {
		delete(u.sessions, from)
	}
	u.mu.Unlock()
	var left [][]byte
	for {
		select {
		case b := <-e.in:
			left = append(left, b)
		default:
			return left
		}
	}
}

// udpLoop reads a UDP socket until it is closed and hands each datagram
// to its client's session, starting one for a client that has none.
func (s *Server) udpLoop(l *listener) {
	buf := make([]byte, maxDatagram)
	var backoff time.Duration
	for {
		n, from, err := l.pc.ReadFromUDPAddrPort(buf)
		if err != nil {
			if l.closed.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			backoff = s.backOff(backoff, errlog.LevelAlert, "recvmsg() failed "+acceptErrText(err), l.done)
			continue
		}
		backoff = 0
		s.dispatch(l, netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), append([]byte(nil), buf[:n]...))
	}
}

// dispatch gives b to from's session or starts one. A datagram that
// finds no room in worker_connections is dropped, as nginx drops it.
func (s *Server) dispatch(l *listener, from netip.AddrPort, b []byte) {
	if l.udp.deliver(from, b) {
		return
	}
	if l.closed.Load() || !s.table.tryAdmit() {
		return
	}
	e := &udpEntry{in: make(chan []byte, udpQueue)}
	l.udp.mu.Lock()
	if l.udp.sessions[from] != nil {
		// Only dispatch adds sessions, and a session re-dispatching its
		// leftovers has removed itself first; still, never replace one.
		l.udp.mu.Unlock()
		s.table.leave()
		l.udp.deliver(from, b)
		return
	}
	l.udp.sessions[from] = e
	l.udp.mu.Unlock()
	s.stats.accepted.Add(1)
	s.sessions.Add(1)
	go func() {
		defer s.sessions.Done()
		snap := s.acquireSnapshot()
		s.serveDatagram(snap, l, from, e, b)
		snap.releaseSession()
		left := l.udp.remove(from, e)
		s.table.leave()
		// Datagrams that came while the session was ending belong to
		// the client's next session, as in nginx, where they would have
		// found the session gone.
		for _, d := range left {
			s.dispatch(l, from, d)
		}
	}()
}
