package upstream

import (
	"cmp"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

// Options carries a group's dependencies.
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives "upstream server temporarily disabled"; nil discards.
	Logger *slog.Logger
	// Method is the balancing method; the zero value is round robin.
	Method Method
	// Rand draws the random numbers of the random method; nil means
	// math/rand/v2's generator.
	Rand func() uint64
	// Previous is the group of the same name in the configuration being
	// replaced, if any. The new group takes over its state (failures,
	// active connections, health) for every peer that stays, keyed by
	// server name and address, and shares its lock, so sessions still
	// running on the old configuration keep counting on the same state.
	Previous *Group
	// Mandatory keeps peers new to the group out of balancing until an
	// active health check has passed (health_check mandatory); without
	// Persistent, peers kept from Previous are checked again too.
	Mandatory  bool
	Persistent bool
	// ResolverTimeout is resolver_timeout: after a failed lookup other
	// than "host not found" the name is asked again after it (at least
	// a second), as nginx retries. Zero means 30s.
	ResolverTimeout time.Duration
}

// Group is one upstream group: primary peers, optional backup peers and
// their shared failure state. It is safe for concurrent use; sessions reach
// it through Selections.
type Group struct {
	name   string
	now    func() time.Time
	log    *slog.Logger
	method Method
	rand   func() uint64
	// mandatory: new peers wait for their first passed health check.
	mandatory bool

	// z holds the lock and the run-time state of the peers; a reload
	// hands it from a group to its successor.
	z *zone
	// set is the current peer set, replaced as a whole when the peers
	// change (DNS); a Selection keeps the set it started with. Guarded
	// by z.mu.
	set *peerSet
	// specs are the servers as configured; a DNS answer expands the
	// ones with Resolve into peers.
	specs           []ServerSpec
	resolverTimeout time.Duration
}

// zone is the state of a group that outlives one configuration, like the
// shared memory zone of nginx's upstream zone directive: the lock that
// guards every peer's state, and that state by server name and address.
type zone struct {
	mu    sync.Mutex
	peers map[peerKey]*peerState
	// hosts are the last answers for the names of resolve servers, so
	// a new configuration starts with the peers DNS gave the old one.
	hosts map[hostKey]*hostState
	// owner is the newest group using the zone: only it follows DNS,
	// so a group of a replaced configuration cannot undo its peers.
	owner *Group
}

// peerKey identifies a peer across configurations.
type peerKey struct{ name, addr string }

// peerSet is one generation of a group's peers and the balancer built
// over them.
type peerSet struct {
	primary []*Peer
	backup  []*Peer
	// single is nginx's shortcut for a group of exactly one primary
	// address and no backups: that peer is never marked failed and a
	// session gets no second try.
	single   bool
	balancer Balancer
	// tries is the tries a session starts with: the peers, primary and
	// backup, that are not down.
	tries int
}

// Peer is one address of a server. Name, Addr and Backup are its identity
// and never change; callers must treat them as read-only. The balancing and
// failure state lives behind the group's lock.
type Peer struct {
	Name   string // the server as written in the config
	Addr   string // the address to dial: "ip:port" or "unix:/path"
	Backup bool
	// Origin is "config", or the DNS name whose answer gave the peer.
	Origin string

	cfg peerConfig
	st  *peerState
}

// peerConfig is a peer's configured parameters, fixed for the life of
// the peer set.
type peerConfig struct {
	weight      int
	maxFails    int
	failTimeout time.Duration
	maxConns    int
	down        bool
	// server is the index of the peer's server name among the distinct
	// names of the primaries; consistent hashing maps keys to servers.
	server int
}

// peerState mirrors the run-time fields of nginx's
// ngx_stream_upstream_rr_peer_t, plus strait's counters.
type peerState struct {
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

	selections uint64 // attempts balancers gave this peer
	failures   uint64 // failed attempts, ever
	health     health
}

// NewGroup builds a group from its servers in config order. Like nginx it
// requires at least one primary (non-backup) server.
func NewGroup(name string, specs []ServerSpec, opts Options) (*Group, error) {
	g := &Group{name: name, now: opts.Now, log: opts.Logger, method: opts.Method, rand: opts.Rand, mandatory: opts.Mandatory,
		specs: specs, resolverTimeout: opts.ResolverTimeout}
	if g.now == nil {
		g.now = time.Now
	}
	if g.log == nil {
		g.log = slog.New(slog.DiscardHandler)
	}
	if g.rand == nil {
		g.rand = rand.Uint64
	}
	if prev := opts.Previous; prev != nil && prev.name == name {
		g.z = prev.z
	} else {
		g.z = &zone{peers: map[peerKey]*peerState{}}
	}
	if g.resolverTimeout <= 0 {
		g.resolverTimeout = 30 * time.Second
	}
	for _, s := range specs {
		if err := s.validate(); err != nil {
			return nil, fmt.Errorf("upstream %q: %w", name, err)
		}
	}
	g.z.mu.Lock()
	defer g.z.mu.Unlock()
	g.takeHostsLocked()
	set, err := g.newPeerSetLocked(g.expandLocked())
	if err != nil {
		return nil, err
	}
	if opts.Mandatory && !opts.Persistent {
		// NGINX Plus checks every server again after a reload unless
		// the check is persistent; the sessions of the previous
		// configuration keep their peers meanwhile.
		for _, tier := range [][]*Peer{set.primary, set.backup} {
			for _, p := range tier {
				p.st.health.pending, p.st.health.passes = true, 0
			}
		}
	}
	g.set = set
	g.z.keepOnly(set)
	if g.z.owner == nil {
		g.z.owner = g
	}
	return g, nil
}

// newPeerSetLocked builds a peer set from specs, taking over the state of
// peers the zone already knows. z.mu must be held.
func (g *Group) newPeerSetLocked(specs []ServerSpec) (*peerSet, error) {
	set := &peerSet{}
	servers := map[string]int{}
	for _, s := range specs {
		for _, addr := range s.Addrs {
			p := &Peer{Name: s.Name, Addr: addr, Backup: s.Backup, Origin: cmp.Or(s.origin, "config"), cfg: peerConfig{
				weight:      s.weight(),
				maxFails:    s.MaxFails,
				failTimeout: s.FailTimeout,
				maxConns:    s.MaxConns,
				down:        s.Down,
			}}
			p.st = g.z.peers[peerKey{p.Name, p.Addr}]
			if p.st == nil {
				p.st = &peerState{effectiveWeight: p.cfg.weight, health: newHealth(g.mandatory)}
			}
			// A weight lowered by the new configuration bounds the
			// effective weight at once.
			p.st.effectiveWeight = min(p.st.effectiveWeight, p.cfg.weight)
			if !s.Down {
				set.tries++
			}
			if s.Backup {
				set.backup = append(set.backup, p)
				continue
			}
			i, ok := servers[s.Name]
			if !ok {
				i = len(servers)
				servers[s.Name] = i
			}
			p.cfg.server = i
			set.primary = append(set.primary, p)
		}
	}
	if len(set.primary) == 0 && !g.followsDNS() {
		return nil, fmt.Errorf("%w %q", errNoServers, g.name)
	}
	set.single = len(set.primary) == 1 && len(set.backup) == 0
	if len(set.primary) == 0 {
		// DNS gave the primaries nothing (yet): the backups, if any,
		// by round robin, as every method falls back to.
		set.balancer = roundRobin{}
		return set, nil
	}
	var err error
	set.balancer, err = newBalancer(set, g.method, g.rand)
	return set, err
}

// keepOnly makes the zone hold the state of set's peers only, so that a
// peer removed and added again later starts afresh.
func (z *zone) keepOnly(set *peerSet) {
	next := make(map[peerKey]*peerState, len(set.primary)+len(set.backup))
	for _, tier := range [][]*Peer{set.primary, set.backup} {
		for _, p := range tier {
			next[peerKey{p.Name, p.Addr}] = p.st
		}
	}
	z.peers = next
}

// Name returns the group name, which nginx logs as $upstream_addr when no
// peer could be selected.
func (g *Group) Name() string { return g.name }

// Method returns the group's balancing method.
func (g *Group) Method() Method { return g.method }

// failedOut reports whether max_fails has taken the peer out at now.
func (p *Peer) failedOut(now time.Time) bool {
	return p.cfg.maxFails > 0 && p.st.fails >= p.cfg.maxFails &&
		now.Sub(p.st.checked) <= p.cfg.failTimeout
}

// full reports whether the peer is at its max_conns.
func (p *Peer) full() bool {
	return p.cfg.maxConns > 0 && p.st.conns >= p.cfg.maxConns
}

// usable reports whether a peer may take a new attempt at now: not down,
// not taken out by max_fails, below max_conns and not failed by active
// health checks. Every balancer tests the same conditions.
func (p *Peer) usable(now time.Time) bool {
	return !p.cfg.down && !p.failedOut(now) && !p.full() && p.st.health.usable()
}

// markPicked ends every balancer's pick: the first pick after
// fail_timeout has passed since the last check is the trial, and moving
// checked forward keeps the peer out for other sessions while the trial
// runs and lets a success reset fails.
func markPicked(p *Peer, now time.Time) {
	if now.Sub(p.st.checked) > p.cfg.failTimeout {
		p.st.checked = now
	}
}
