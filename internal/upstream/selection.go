package upstream

import (
	"errors"
	"slices"
	"time"
)

// ErrNoLiveUpstreams is returned by Selection.Next when no peer is
// selectable: every peer is down, failed out, unhealthy, at max_conns or
// already tried by this session. nginx logs "no live upstreams" and ends
// the session with status 502.
var ErrNoLiveUpstreams = errors.New("no live upstreams")

// ErrTriesExhausted is returned by Selection.Next once the session has used
// all its tries (see Selection.Tries). nginx ends such a session with status
// 502 without logging "no live upstreams".
var ErrTriesExhausted = errors.New("upstream tries exhausted")

// Selection is one session's view of a group: which peers it has tried and
// how many tries remain (nginx's ngx_stream_upstream_rr_peer_data_t and
// peer.tries), plus the state of the balancing method (the hash key and
// value). A Selection belongs to one session and is not safe for
// concurrent use; the group it draws from is.
type Selection struct {
	g *Group
	// set is the peer set the session started with; a change of the
	// group's peers (DNS) does not disturb it.
	set *peerSet
	// onBackup is set once the primaries had nothing to offer; like nginx
	// the session then stays with the backups for its remaining tries.
	onBackup bool
	// tried is indexed by position in the current tier.
	tried []bool
	tries int
	// started is set by the first Next: nginx makes a session's first
	// attempt whatever its tries, so a group whose peers are all down
	// reports "no live upstreams" rather than running out of tries.
	started bool
	// held are peers returned by Next and not yet released.
	held []*Peer

	// key is the evaluated hash key; hash, rehash and methodTries are
	// the hash and random balancers' per-session state (nginx's
	// hp->hash, hp->rehash, hp->tries): after 20 fruitless draws they
	// hand over to round robin for the rest of the session.
	key         []byte
	hash        uint32
	rehash      int
	methodTries int
}

// NewSelection starts a session's peer selection. Its tries start at the
// number of primary plus backup peers that are not down, as nginx sets
// peer.tries (ngx_stream_upstream_tries: peers->tries counts only servers
// without "down"): with "server a; server b down;" a failed a ends the
// session.
func (g *Group) NewSelection() *Selection {
	g.z.mu.Lock()
	set := g.set
	g.z.mu.Unlock()
	return &Selection{
		g:     g,
		set:   set,
		tried: make([]bool, max(len(set.primary), len(set.backup))),
		tries: set.tries,
	}
}

// SetKey gives the session its hash key (the evaluated key of `hash`);
// it must come before the first Next. Other methods ignore it.
func (s *Selection) SetKey(key []byte) {
	s.key = key
}

// Tries returns how many attempts the session may still make: the number
// of peers not down at first, one less after each Release, and zero after releasing
// the peer of a single-peer group (nginx gives such a group no second try).
// A proxy stops retrying when it reaches zero.
func (s *Selection) Tries() int { return s.tries }

// LimitTries caps the remaining tries at n, as proxy_next_upstream_tries
// does; n <= 0 means no cap.
func (s *Selection) LimitTries(n int) {
	if n > 0 && s.tries > n {
		s.tries = n
	}
}

// Next returns the next peer to try and takes one of its max_conns slots;
// every peer returned must be given back with Release. It returns
// ErrNoLiveUpstreams when no peer is selectable and ErrTriesExhausted when
// the session has no tries left.
func (s *Selection) Next() (*Peer, error) {
	if len(s.set.primary)+len(s.set.backup) == 0 {
		// A group following DNS may have no peers at all.
		return nil, ErrNoLiveUpstreams
	}
	if s.tries == 0 && s.started {
		return nil, ErrTriesExhausted
	}
	s.started = true
	g := s.g
	g.z.mu.Lock()
	defer g.z.mu.Unlock()
	p := s.pickLocked(g.now())
	if p == nil {
		return nil, ErrNoLiveUpstreams
	}
	p.st.conns++
	p.st.selections++
	s.held = append(s.held, p)
	return p, nil
}

// pickLocked is the single-peer shortcut of
// ngx_stream_upstream_get_round_robin_peer, else the group's balancer.
func (s *Selection) pickLocked(now time.Time) *Peer {
	set := s.set
	if !s.onBackup && set.single {
		// The single peer is neither marked tried nor checked for
		// failures; only down, max_conns and health checks make it
		// unavailable.
		if p := set.primary[0]; !p.cfg.down && !p.full() && p.st.health.usable() {
			return p
		}
		return nil
	}
	return set.balancer.pick(s, now)
}

// pickWeighted is nginx's smooth weighted round robin
// (ngx_stream_upstream_get_peer). Every eligible peer gains its effective
// weight; the one with the highest current weight wins (the first in
// config order on ties) and loses the sum of the effective weights, which
// spreads picks evenly: weights 5/1/1 give a a b a c a a. Effective weights
// lowered by failures creep back by one per pick, so a recovering peer is
// eased back in.
func pickWeighted(tier []*Peer, tried []bool, now time.Time) *Peer {
	var best *Peer
	bestIdx, total := 0, 0
	for i, p := range tier {
		if tried[i] || !p.usable(now) {
			continue
		}
		st := p.st
		st.currentWeight += st.effectiveWeight
		total += st.effectiveWeight
		if st.effectiveWeight < p.cfg.weight {
			st.effectiveWeight++
		}
		if best == nil || st.currentWeight > best.st.currentWeight {
			best, bestIdx = p, i
		}
	}
	if best == nil {
		return nil
	}
	tried[bestIdx] = true
	best.st.currentWeight -= total
	markPicked(best, now)
	return best
}

// Connected tells the group that the connection to p (including a TLS
// handshake, if any) is established. Like nginx's NOTIFY_CONNECT it resets
// the peer's failures when this attempt was a trial, without waiting for
// the session to end. It does not release p.
func (s *Selection) Connected(p *Peer) {
	if !slices.Contains(s.held, p) {
		return
	}
	s.g.z.mu.Lock()
	defer s.g.z.mu.Unlock()
	if p.st.accessed.Before(p.st.checked) {
		p.st.fails = 0
	}
}

// Release ends an attempt on p and frees its max_conns slot. failed is true
// when connecting or the TLS handshake failed (nginx's NGX_PEER_FAILED),
// false when the session ran (whatever happened afterwards). Releasing a
// peer that is not held by this Selection does nothing.
func (s *Selection) Release(p *Peer, failed bool) {
	i := slices.Index(s.held, p)
	if i < 0 {
		return
	}
	s.held = slices.Delete(s.held, i, i+1)
	g := s.g
	g.z.mu.Lock()
	st := p.st
	st.conns--
	if failed {
		st.failures++
	}
	if s.set.single {
		g.z.mu.Unlock()
		s.tries = 0
		return
	}
	disabled := false
	if failed {
		now := g.now()
		st.fails++
		st.accessed, st.checked = now, now
		if mf := p.cfg.maxFails; mf > 0 {
			// Integer division, as nginx: weight 1 with max_fails 3
			// loses nothing.
			st.effectiveWeight = max(st.effectiveWeight-p.cfg.weight/mf, 0)
			disabled = st.fails >= mf
		}
	} else if st.accessed.Before(st.checked) {
		st.fails = 0
	}
	g.z.mu.Unlock()
	if s.tries > 0 {
		s.tries--
	}
	if disabled {
		g.log.Warn("upstream server temporarily disabled",
			"upstream", p.Addr, "group", g.name)
	}
}
