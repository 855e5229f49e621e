package upstream

import "time"

// leastConn is ngx_stream_upstream_get_least_conn_peer: the usable peer
// with the fewest active connections per unit of weight; among several
// such peers, smooth weighted round robin decides. Backups are used as by
// round robin, when the primaries offer nothing.
type leastConn struct{}

func (leastConn) pick(s *Selection, now time.Time) *Peer {
	return s.overTiers(now, pickLeastConn)
}

func pickLeastConn(tier []*Peer, tried []bool, now time.Time) *Peer {
	var best *Peer
	bestIdx, many := 0, false
	for i, p := range tier {
		st := p.st
		if tried[i] || !p.usable(now) {
			continue
		}
		// conns/weight compared without division, as nginx does.
		switch {
		case best == nil || st.conns*best.cfg.weight < best.st.conns*p.cfg.weight:
			best, bestIdx, many = p, i, false
		case st.conns*best.cfg.weight == best.st.conns*p.cfg.weight:
			many = true
		}
	}
	if best == nil {
		return nil
	}
	if many {
		// Round robin among the peers tied with best, starting from
		// best: it is the first of them, so it takes part (and gains
		// its effective weight) like the others.
		first := best
		total := 0
		for i := bestIdx; i < len(tier); i++ {
			p := tier[i]
			st := p.st
			if tried[i] || !p.usable(now) ||
				st.conns*first.cfg.weight != first.st.conns*p.cfg.weight {
				continue
			}
			st.currentWeight += st.effectiveWeight
			total += st.effectiveWeight
			if st.effectiveWeight < p.cfg.weight {
				st.effectiveWeight++
			}
			if st.currentWeight > best.st.currentWeight {
				best, bestIdx = p, i
			}
		}
		best.st.currentWeight -= total
	}
	markPicked(best, now)
	tried[bestIdx] = true
	return best
}
