package upstream

import (
	"slices"
	"time"
)

// random is ngx_stream_upstream_get_random_peer and, with two,
// ngx_stream_upstream_get_random2_peer: a primary drawn with probability
// proportional to its weight; with two, two distinct usable primaries
// are drawn and the one with fewer active connections per weight wins
// (the second drawn on a tie, as in nginx). Unusable or tried draws count
// towards the 20 after which the session falls back to round robin.
type random struct {
	two bool
	// cum[i] is the total weight of primaries 0..i.
	cum  []uint64
	rand func() uint64
}

func newRandom(set *peerSet, two bool, rnd func() uint64) *random {
	r := &random{two: two, rand: rnd}
	var total uint64
	for _, p := range set.primary {
		total += uint64(p.cfg.weight)
		r.cum = append(r.cum, total)
	}
	return r
}

// draw returns the index of a primary, weighted.
func (r *random) draw() int {
	x := r.rand() % r.cum[len(r.cum)-1]
	i, _ := slices.BinarySearch(r.cum, x+1)
	return i
}

func (r *random) pick(s *Selection, now time.Time) *Peer {
	set := s.set
	if s.methodTries > maxMethodTries || len(set.primary) < 2 || s.onBackup {
		return roundRobin{}.pick(s, now)
	}
	first := -1
	for {
		i := r.draw()
		if p := set.primary[i]; i != first && !s.tried[i] && p.usable(now) {
			if !r.two {
				return r.take(s, i, now)
			}
			if first < 0 {
				first = i
			} else {
				a := set.primary[first]
				if p.st.conns*a.cfg.weight > a.st.conns*p.cfg.weight {
					i = first
				}
				return r.take(s, i, now)
			}
		}
		if s.methodTries++; s.methodTries > maxMethodTries {
			return roundRobin{}.pick(s, now)
		}
	}
}

func (r *random) take(s *Selection, i int, now time.Time) *Peer {
	p := s.set.primary[i]
	s.tried[i] = true
	markPicked(p, now)
	return p
}
