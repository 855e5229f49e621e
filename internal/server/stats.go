package server

import (
	"sync"
	"sync/atomic"

	"github.com/straitproxy/strait/internal/proxy"
	"github.com/straitproxy/strait/internal/upstream"
)

// Stats is a point-in-time view of the server's counters.
type Stats struct {
	Active   int64                   // sessions running now
	Accepted uint64                  // connections accepted
	Handled  uint64                  // connections that became sessions
	Statuses map[int]uint64          // finished sessions by $status
	Peers    map[string]PeerFailures // failed attempts by peer address
}

// PeerFailures counts one peer's failed attempts.
type PeerFailures struct {
	Connect   uint64 // connect errors and timeouts
	Handshake uint64 // TLS handshake and verification failures
}

type statsCollector struct {
	active            atomic.Int64
	accepted, handled atomic.Uint64

	mu       sync.Mutex
	statuses map[int]uint64
	peers    map[string]*PeerFailures
}

func newStatsCollector() *statsCollector {
	return &statsCollector{statuses: map[int]uint64{}, peers: map[string]*PeerFailures{}}
}

func (c *statsCollector) finished(status int) {
	c.mu.Lock()
	c.statuses[status]++
	c.mu.Unlock()
}

func (c *statsCollector) attemptFailed(p *upstream.Peer, stage proxy.Stage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	pf := c.peers[p.Addr]
	if pf == nil {
		pf = &PeerFailures{}
		c.peers[p.Addr] = pf
	}
	if stage == proxy.StageHandshake {
		pf.Handshake++
	} else {
		pf.Connect++
	}
}

// Stats returns the current counters.
func (s *Server) Stats() Stats {
	c := s.stats
	st := Stats{
		Active: c.active.Load(), Accepted: c.accepted.Load(), Handled: c.handled.Load(),
		Statuses: map[int]uint64{}, Peers: map[string]PeerFailures{},
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, v := range c.statuses {
		st.Statuses[k] = v
	}
	for k, v := range c.peers {
		st.Peers[k] = *v
	}
	return st
}

// poolSet shares copy buffer pools by size across snapshots.
type poolSet struct {
	mu    sync.Mutex
	pools map[int]*proxy.BufferPool
}

func (ps *poolSet) get(size int) *proxy.BufferPool {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.pools == nil {
		ps.pools = map[int]*proxy.BufferPool{}
	}
	if p, ok := ps.pools[size]; ok {
		return p
	}
	p := proxy.NewBufferPool(size)
	ps.pools[size] = p
	return p
}
