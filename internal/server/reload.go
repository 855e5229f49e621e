package server

import (
	"time"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/proxy"
)

// Reload switches to cfg (HUP). The new snapshot is built and its new
// listeners bound before anything changes; on any error the old
// configuration keeps serving and the error is returned. Listeners whose
// address stays are kept (same socket, no gap in accepting), new ones start
// accepting, removed ones close. Running sessions finish on the snapshot
// they started with, for at most the old worker_shutdown_timeout. The
// process logger (Options.ProcessLog) moves to the new main error_log
// with the switch; on error it stays where it was.
func (s *Server) Reload(cfg *config.Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return ErrServerClosed
	}
	old := s.cur.Load()
	next, err := s.build(cfg, old)
	if err != nil {
		return err
	}
	opened, err := s.openListeners(next)
	if err != nil {
		next.closeResources()
		return err
	}
	s.cur.Store(next)
	s.live[next] = struct{}{}
	next.errLogs.publish(s.opts.ProcessLog)
	for k, l := range opened {
		s.listeners[k] = l
		if s.serving {
			s.startLoop(l)
		}
	}
	for k, l := range s.listeners {
		if _, ok := next.routes[k]; !ok {
			l.close()
			delete(s.listeners, k)
		}
	}
	s.applyLimits(next)
	s.stats.prune(next.groups)
	s.table.wake()
	// The new configuration's watcher takes over the files; the old one
	// must not rotate material for a configuration about to drain.
	s.watch(next)
	s.startChecks(next)
	s.startDNS(next)
	old.unwatch()
	old.retire()
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		s.drain(old)
	}()
	return nil
}

// drain waits for a replaced snapshot's sessions, cutting them after its
// worker_shutdown_timeout, then releases its resources.
func (s *Server) drain(old *snapshot) {
	var timeout <-chan time.Time
	if old.shutdownTimeout > 0 {
		t := time.NewTimer(old.shutdownTimeout)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-old.drained:
	case <-timeout:
		old.cancel(proxy.ErrShutdownTimeout)
		<-old.drained
	}
	old.closeResources()
	s.mu.Lock()
	delete(s.live, old)
	s.mu.Unlock()
}
