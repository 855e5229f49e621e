package upstream

import (
	"fmt"
	"time"
)

// MethodKind is a balancing method of an upstream block.
type MethodKind int

// The balancing methods of nginx's stream upstream modules.
const (
	RoundRobin MethodKind = iota // the default: smooth weighted round robin
	LeastConn                    // least_conn
	Hash                         // hash key [consistent]
	Random                       // random [two [least_conn]]
)

// Method is an upstream block's balancing method and its parameters.
type Method struct {
	Kind MethodKind
	// Consistent selects ketama consistent hashing for Hash.
	Consistent bool
	// Two makes Random draw two peers and keep the one with fewer
	// connections per weight (random two least_conn).
	Two bool
}

// String returns the method as nginx's directive spells it.
func (m Method) String() string {
	switch m.Kind {
	case LeastConn:
		return "least_conn"
	case Hash:
		if m.Consistent {
			return "hash consistent"
		}
		return "hash"
	case Random:
		if m.Two {
			return "random two least_conn"
		}
		return "random"
	}
	return "round_robin"
}

// Balancer chooses the peer for a session's next attempt. It runs under
// the group's lock with the session's Selection, whose tried set and
// per-session state (hash value, rehash count, tries of the method) it
// may change; it returns nil when nothing is selectable. The interface is
// sealed: every implementation follows one of nginx's modules and lives
// in this package.
type Balancer interface {
	pick(s *Selection, now time.Time) *Peer
}

// newBalancer builds the balancer of m over g's peers.
func newBalancer(set *peerSet, m Method, rnd func() uint64) (Balancer, error) {
	switch m.Kind {
	case RoundRobin:
		return roundRobin{}, nil
	case LeastConn:
		return leastConn{}, nil
	case Hash:
		if m.Consistent {
			return newConsistentHash(set), nil
		}
		return newModHash(set), nil
	case Random:
		return newRandom(set, m.Two, rnd), nil
	}
	return nil, fmt.Errorf("unknown balancing method %d", m.Kind)
}

// roundRobin is ngx_stream_upstream_get_round_robin_peer.
type roundRobin struct{}

func (roundRobin) pick(s *Selection, now time.Time) *Peer {
	return s.overTiers(now, pickWeighted)
}

// overTiers runs pick over the selection's current tier, falling over to
// the backups once when the primaries offer nothing, as the round-robin
// and least_conn balancers of nginx do (peers->next).
func (s *Selection) overTiers(now time.Time, pick func([]*Peer, []bool, time.Time) *Peer) *Peer {
	set := s.set
	tier := set.primary
	if s.onBackup {
		tier = set.backup
	}
	if p := pick(tier, s.tried, now); p != nil {
		return p
	}
	if s.onBackup || len(set.backup) == 0 {
		return nil
	}
	s.onBackup = true
	clear(s.tried)
	return pick(set.backup, s.tried, now)
}
