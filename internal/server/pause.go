package server

import (
	"os"
	"sort"
	"time"
)

// Stopping to accept without closing the listening sockets is nginx's
// WINCH during a binary upgrade: the new binary accepts on the same
// sockets, the old one lets its sessions finish, and can take over again
// if the new binary is rolled back. The sockets stay open, so nothing
// queued in their backlog is lost whichever process accepts it.

// stopped reports whether the accept loop of l should end.
func (l *listener) stopped() bool { return l.closed.Load() || l.paused.Load() }

// deadliner is what a listener needs to be woken from Accept without
// being closed; TCP and unix listeners have it.
type deadliner interface{ SetDeadline(time.Time) error }

// PauseAccepting stops accepting connections on every listener and
// returns once no accept loop runs. Sessions carry on; the sockets stay
// open. A Reload meanwhile binds new listeners without accepting on them.
func (s *Server) PauseAccepting() {
	s.mu.Lock()
	if s.stopping || !s.serving {
		s.mu.Unlock()
		return
	}
	s.serving = false
	for _, l := range s.listeners {
		l.paused.Store(true)
		if d, ok := l.ln.(deadliner); ok {
			// A deadline in the past makes a waiting Accept return.
			d.SetDeadline(time.Unix(1, 0))
		}
	}
	s.mu.Unlock()
	s.table.wake() // loops waiting for room see the pause
	s.loops.Wait()
}

// ResumeAccepting undoes PauseAccepting.
func (s *Server) ResumeAccepting() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping || s.serving {
		return
	}
	s.serving = true
	for _, l := range s.listeners {
		l.paused.Store(false)
		if d, ok := l.ln.(deadliner); ok {
			d.SetDeadline(time.Time{})
		}
		s.startLoop(l)
	}
}

// ListenerFiles returns a duplicate of every listening socket, in the
// order of Addrs, for a new binary to inherit. The caller closes them.
func (s *Server) ListenerFiles() ([]*os.File, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.listeners))
	for k := range s.listeners {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []*os.File
	for _, k := range keys {
		fl, ok := s.listeners[k].ln.(interface{ File() (*os.File, error) })
		if !ok {
			continue
		}
		f, err := fl.File()
		if err != nil {
			for _, f := range out {
				f.Close()
			}
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}
