package upstream

import "time"

// PeerStatus is a snapshot of one peer for status pages and metrics.
type PeerStatus struct {
	Name            string
	Addr            string
	Weight          int
	EffectiveWeight int
	MaxFails        int
	FailTimeout     time.Duration
	MaxConns        int
	Backup          bool
	// Origin is "config", or the DNS name whose answer gave the peer.
	Origin string
	Down   bool
	Fails  int
	Conns  int
	// Selections counts the attempts balancers gave the peer, Failures
	// the failed ones, over the life of the peer (across reloads that
	// keep it).
	Selections uint64
	Failures   uint64
	// UnavailableUntil is when a peer taken out by max_fails becomes
	// selectable again (it is out up to and including this instant); zero
	// when the peer is not failed out.
	UnavailableUntil time.Time
	// Health is "unchecked", "checking" (mandatory, no check passed
	// yet), "up" or "unhealthy"; HealthReason says why the last check
	// failed, LastCheck when the last check ended.
	Health       string
	HealthReason string
	LastCheck    time.Time
	HealthChecks uint64
}

// Peers returns a snapshot of every peer, primaries then backups, each in
// config order.
func (g *Group) Peers() []PeerStatus {
	g.z.mu.Lock()
	defer g.z.mu.Unlock()
	now := g.now()
	set := g.set
	out := make([]PeerStatus, 0, len(set.primary)+len(set.backup))
	for _, tier := range [][]*Peer{set.primary, set.backup} {
		for _, p := range tier {
			st, c := p.st, p.cfg
			ps := PeerStatus{
				Name: p.Name, Addr: p.Addr, Backup: p.Backup, Origin: p.Origin,
				Weight: c.weight, EffectiveWeight: st.effectiveWeight,
				MaxFails: c.maxFails, FailTimeout: c.failTimeout,
				MaxConns: c.maxConns, Down: c.down,
				Fails: st.fails, Conns: st.conns,
				Selections: st.selections, Failures: st.failures,
				Health: st.health.state(), HealthReason: st.health.reason,
				LastCheck: st.health.last, HealthChecks: st.health.checks,
			}
			if !set.single && p.failedOut(now) {
				ps.UnavailableUntil = st.checked.Add(c.failTimeout)
			}
			out = append(out, ps)
		}
	}
	return out
}
