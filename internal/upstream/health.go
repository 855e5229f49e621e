package upstream

import (
	"context"
	"sync"
	"time"
)

// health is a peer's active health-check state.
type health struct {
	// pending: the group's checks are mandatory and the peer has not yet
	// passed `passes` of them.
	pending bool
	// unhealthy: `fails` consecutive checks failed, and fewer than
	// `passes` have passed since.
	unhealthy bool
	passes    int // consecutive passed checks
	fails     int // consecutive failed checks
	checks    uint64
	last      time.Time // when the last check ended
	reason    string    // why the last check failed, "" after a pass
}

func newHealth(mandatory bool) health { return health{pending: mandatory} }

// usable reports whether health checks let the peer take sessions.
func (h *health) usable() bool { return !h.pending && !h.unhealthy }

// state names the health state for status pages.
func (h *health) state() string {
	switch {
	case h.unhealthy:
		return "unhealthy"
	case h.pending:
		return "checking"
	case h.checks == 0:
		return "unchecked"
	}
	return "up"
}

// Probe checks one peer: it connects to addr (the peer's address, or the
// check's port on the peer's host), runs the TLS handshake and the match
// exchange, and returns why the peer is unhealthy, nil when it is
// healthy. It is the only way this package reaches the network.
type Probe func(ctx context.Context, addr string) error

// CheckSpec is one health_check of a server block, applied to the group
// the block proxies to.
type CheckSpec struct {
	Interval time.Duration // between rounds (interval=, default 5s)
	Jitter   time.Duration // a random delay up to this before each round
	Fails    int           // consecutive failures that make a peer unhealthy (default 1)
	Passes   int           // consecutive passes that make it healthy again (default 1)
	Timeout  time.Duration // of one check (health_check_timeout, default 5s)
	Probe    Probe
	// Sleep waits d or until ctx ends and reports whether d passed;
	// nil waits on a timer. Tests drive rounds with it.
	Sleep func(ctx context.Context, d time.Duration) bool
}

// RunChecks checks every peer of the group once per interval until ctx
// ends, feeding the peers' health: the first round starts at once, so
// mandatory checks admit new peers as soon as they pass.
func (g *Group) RunChecks(ctx context.Context, spec CheckSpec) {
	sleep := spec.Sleep
	if sleep == nil {
		sleep = sleepTimer
	}
	for ctx.Err() == nil {
		g.CheckOnce(ctx, spec)
		d := spec.Interval
		if spec.Jitter > 0 {
			d += time.Duration(g.rand() % uint64(spec.Jitter))
		}
		if !sleep(ctx, d) {
			return
		}
	}
}

func sleepTimer(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// CheckOnce runs one round: every peer of the current set (down ones
// excepted, as NGINX Plus skips them) is probed concurrently, each
// within spec.Timeout, and the results are applied.
func (g *Group) CheckOnce(ctx context.Context, spec CheckSpec) {
	g.z.mu.Lock()
	set := g.set
	g.z.mu.Unlock()
	var wg sync.WaitGroup
	for _, tier := range [][]*Peer{set.primary, set.backup} {
		for _, p := range tier {
			if p.cfg.down {
				continue
			}
			wg.Go(func() {
				cctx, cancel := ctx, context.CancelFunc(func() {})
				if spec.Timeout > 0 {
					cctx, cancel = context.WithTimeout(ctx, spec.Timeout)
				}
				err := spec.Probe(cctx, p.Addr)
				cancel()
				if ctx.Err() != nil {
					return // stopped, not the peer's fault
				}
				g.recordCheck(p, spec, err)
			})
		}
	}
	wg.Wait()
}

// recordCheck applies one check result to p and logs a change of state.
func (g *Group) recordCheck(p *Peer, spec CheckSpec, err error) {
	g.z.mu.Lock()
	h := &p.st.health
	h.checks++
	h.last = g.now()
	var became string
	if err == nil {
		h.fails, h.reason = 0, ""
		h.passes++
		if (h.unhealthy || h.pending) && h.passes >= max(spec.Passes, 1) {
			h.unhealthy, h.pending = false, false
			became = "healthy"
		}
	} else {
		h.passes = 0
		h.fails++
		h.reason = err.Error()
		if !h.unhealthy && h.fails >= max(spec.Fails, 1) {
			h.unhealthy = true
			became = "unhealthy"
		}
	}
	g.z.mu.Unlock()
	switch became {
	case "unhealthy":
		g.log.Error("peer is unhealthy: "+err.Error(),
			"action", "checking health", "upstream", p.Addr, "group", g.name)
	case "healthy":
		g.log.Warn("peer is healthy", "action", "checking health", "upstream", p.Addr, "group", g.name)
	}
}
