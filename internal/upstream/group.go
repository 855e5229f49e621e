package upstream

import (
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Options carries a group's dependencies.
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives "upstream server temporarily disabled"; nil discards.
	Logger *slog.Logger
}

// Group is one upstream group: primary peers, optional backup peers and
// their shared failure state. It is safe for concurrent use; sessions reach
// it through Selections.
type Group struct {
	name    string
	now     func() time.Time
	log     *slog.Logger
	primary []*Peer
	backup  []*Peer
	// single is nginx's shortcut for a group of exactly one primary
	// address and no backups: that peer is never marked failed and a
	// session gets no second try.
	single bool
	// tries is the tries a session starts with: the peers, primary and
	// backup, that are not down.
	tries int

	// mu guards the state of every peer of the group.
	mu sync.Mutex
}

// Peer is one address of a server. Name, Addr and Backup are its identity
// and never change; callers must treat them as read-only. The balancing and
// failure state lives behind the group's lock.
type Peer struct {
	Name   string // the server as written in the config
	Addr   string // the address to dial: "ip:port" or "unix:/path"
	Backup bool

	st *peerState
}

// peerState mirrors the fields of nginx's ngx_stream_upstream_rr_peer_t.
type peerState struct {
	weight      int
	maxFails    int
	failTimeout time.Duration
	maxConns    int
	down        bool

	currentWeight   int
	effectiveWeight int
	fails           int
	conns           int
	// accessed is the time of the last failure; checked is the time of
	// the last failure or of the first pick after fail_timeout had passed
	// since the previous check. A success resets fails only when
	// accessed < checked, i.e. when it follows such a fresh check.
	accessed time.Time
	checked  time.Time
}

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
	Down            bool
	Fails           int
	Conns           int
	// UnavailableUntil is when a peer taken out by max_fails becomes
	// selectable again (it is out up to and including this instant); zero
	// when the peer is not failed out.
	UnavailableUntil time.Time
}

// NewGroup builds a group from its servers in config order. Like nginx it
// requires at least one primary (non-backup) server.
func NewGroup(name string, specs []ServerSpec, opts Options) (*Group, error) {
	g := &Group{name: name, now: opts.Now, log: opts.Logger}
	if g.now == nil {
		g.now = time.Now
	}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	for _, s := range specs {
		if err := s.validate(); err != nil {
			return nil, fmt.Errorf("upstream %q: %w", name, err)
		}
		for _, addr := range s.Addrs {
			p := &Peer{Name: s.Name, Addr: addr, Backup: s.Backup, st: &peerState{
				weight:          s.weight(),
				effectiveWeight: s.weight(),
				maxFails:        s.MaxFails,
				failTimeout:     s.FailTimeout,
				maxConns:        s.MaxConns,
				down:            s.Down,
			}}
			if !s.Down {
				g.tries++
			}
			if s.Backup {
				g.backup = append(g.backup, p)
			} else {
				g.primary = append(g.primary, p)
			}
		}
	}
	if len(g.primary) == 0 {
		return nil, fmt.Errorf("%w %q", errNoServers, name)
	}
	g.single = len(g.primary) == 1 && len(g.backup) == 0
	return g, nil
}

// Name returns the group name, which nginx logs as $upstream_addr when no
// peer could be selected.
func (g *Group) Name() string { return g.name }

// Peers returns a snapshot of every peer, primaries then backups, each in
// config order.
func (g *Group) Peers() []PeerStatus {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	out := make([]PeerStatus, 0, len(g.primary)+len(g.backup))
	for _, tier := range [][]*Peer{g.primary, g.backup} {
		for _, p := range tier {
			st := p.st
			ps := PeerStatus{
				Name: p.Name, Addr: p.Addr, Backup: p.Backup,
				Weight: st.weight, EffectiveWeight: st.effectiveWeight,
				MaxFails: st.maxFails, FailTimeout: st.failTimeout,
				MaxConns: st.maxConns, Down: st.down,
				Fails: st.fails, Conns: st.conns,
			}
			if !g.single && st.failedOut(now) {
				ps.UnavailableUntil = st.checked.Add(st.failTimeout)
			}
			out = append(out, ps)
		}
	}
	return out
}

// failedOut reports whether max_fails has taken the peer out at now.
func (st *peerState) failedOut(now time.Time) bool {
	return st.maxFails > 0 && st.fails >= st.maxFails &&
		now.Sub(st.checked) <= st.failTimeout
}

// full reports whether the peer is at its max_conns.
func (st *peerState) full() bool {
	return st.maxConns > 0 && st.conns >= st.maxConns
}
