package server

import (
	"context"
	"errors"
	"maps"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/straitproxy/strait/internal/accesslog"
	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/metrics"
	"github.com/straitproxy/strait/internal/proxy"
	"github.com/straitproxy/strait/internal/tlsconf"
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

// peerKey names a peer within its upstream group; counters are kept per
// key for the life of the process, so they carry on across reloads that
// keep the group and address.
type peerKey struct{ group, addr string }

// peerCounters are one peer's attempt and handshake counts.
type peerCounters struct {
	attempts   metrics.Attempts
	handshakes metrics.Handshakes
	verify     map[string]uint64 // verification failures by reason
}

// statsCollector is updated once per accepted connection, per failed
// attempt and per finished session, never per read or write.
type statsCollector struct {
	active            atomic.Int64
	accepted, handled atomic.Uint64

	mu       sync.Mutex
	statuses map[int]uint64
	peers    map[string]*PeerFailures
	byPeer   map[peerKey]*peerCounters
	bytes    metrics.Bytes

	tls       tlsStats       // proxy_ssl file rotations and peer certificates; its own lock
	clientTLS clientTLSStats // listen ... ssl handshakes; its own lock
	blocks    blockStats     // per server block; its own lock
}

func newStatsCollector() *statsCollector {
	return &statsCollector{statuses: map[int]uint64{}, peers: map[string]*PeerFailures{}, byPeer: map[peerKey]*peerCounters{}}
}

// peerLocked returns the counters of a peer; c.mu must be held.
func (c *statsCollector) peerLocked(group, addr string) *peerCounters {
	k := peerKey{group, addr}
	pc := c.byPeer[k]
	if pc == nil {
		pc = &peerCounters{}
		c.byPeer[k] = pc
	}
	return pc
}

// finished counts a session that has ended: its status, its bytes, and
// the attempt that connected (with its TLS handshake), all taken from the
// totals the session already computed for the access log.
func (c *statsCollector) finished(group string, rec *accesslog.Session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.statuses[rec.Status]++
	c.bytes.FromClient += uint64(max(rec.BytesReceived, 0))
	c.bytes.ToClient += uint64(max(rec.BytesSent, 0))
	for _, a := range rec.Attempts {
		c.bytes.ToUpstream += uint64(max(a.BytesSent, 0))
		c.bytes.FromUpstream += uint64(max(a.BytesReceived, 0))
	}
	if n := len(rec.Attempts); n > 0 && rec.Attempts[n-1].Connected {
		pc := c.peerLocked(group, rec.Attempts[n-1].Addr)
		pc.attempts.OK++
		switch {
		case !rec.SSL.Used:
		case rec.SSL.Reused:
			pc.handshakes.Resumed++
		default:
			pc.handshakes.New++
		}
	}
}

// attemptFailed returns the proxy's OnAttemptFailed hook for the server
// blocks that proxy to group.
func (c *statsCollector) attemptFailed(group string) func(*upstream.Peer, proxy.Stage, error) {
	return func(p *upstream.Peer, stage proxy.Stage, err error) {
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
		a := &c.peerLocked(group, p.Addr).attempts
		switch attemptResult(stage, err) {
		case metrics.ResultConnectTimeout:
			a.ConnectTimeout++
		case metrics.ResultHandshakeError:
			a.HandshakeError++
		case metrics.ResultVerifyError:
			a.VerifyError++
			c.verifyFailedLocked(group, p.Addr, err)
		case metrics.ResultPinMismatch:
			a.PinMismatch++
			c.verifyFailedLocked(group, p.Addr, err)
		default:
			a.ConnectError++
		}
	}
}

// attemptResult classes a failed attempt for the "result" label.
func attemptResult(stage proxy.Stage, err error) string {
	if stage == proxy.StageHandshake {
		var he *tlsconf.HandshakeError
		switch {
		case !errors.As(err, &he) || !he.Verify:
			return metrics.ResultHandshakeError
		case he.Pin:
			return metrics.ResultPinMismatch
		}
		return metrics.ResultVerifyError
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, syscall.ETIMEDOUT) {
		return metrics.ResultConnectTimeout
	}
	return metrics.ResultConnectError
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

// MetricsSnapshot returns the counters with the upstream groups of the
// running configuration and their peers' current state, for the status
// endpoint. After a reload it describes the new configuration's groups.
func (s *Server) MetricsSnapshot() metrics.Snapshot {
	c := s.stats
	snap := s.cur.Load()
	out := metrics.Snapshot{
		Active: c.active.Load(), Accepted: c.accepted.Load(), Handled: c.handled.Load(),
		Statuses: map[int]uint64{},
	}
	// Read peer state before taking c.mu: Peers takes each group's lock.
	for _, g := range snap.groups {
		u := metrics.Upstream{Name: g.Name(), TLS: snap.proxiesTLS(g)}
		for _, p := range g.Peers() {
			u.Peers = append(u.Peers, metrics.Peer{
				Addr: p.Addr, Name: p.Name, Weight: p.Weight, Backup: p.Backup, Down: p.Down,
				Up:    !p.Down && p.UnavailableUntil.IsZero() && p.Health != "unhealthy" && p.Health != "checking",
				Conns: p.Conns, Fails: p.Fails, UnavailableUntil: p.UnavailableUntil,
				Selections: p.Selections, Health: p.Health, HealthReason: p.HealthReason,
				LastCheck: p.LastCheck, Origin: p.Origin,
			})
		}
		out.Upstreams = append(out.Upstreams, u)
	}
	c.mu.Lock()
	for k, v := range c.statuses {
		out.Statuses[k] = v
	}
	out.Bytes = c.bytes
	for i := range out.Upstreams {
		u := &out.Upstreams[i]
		for j := range u.Peers {
			if pc := c.byPeer[peerKey{u.Name, u.Peers[j].Addr}]; pc != nil {
				u.Peers[j].Attempts, u.Peers[j].Handshakes = pc.attempts, pc.handshakes
				u.Peers[j].VerifyFailures = maps.Clone(pc.verify)
			}
		}
	}
	c.mu.Unlock()
	c.tls.fill(&out, snap)
	c.clientTLS.fill(&out)
	fillServers(&out, snap)
	return out
}

// proxiesTLS reports whether a server block proxies to g with proxy_ssl.
func (s *snapshot) proxiesTLS(g *upstream.Group) bool {
	for _, b := range s.blocks {
		if b.handler != nil && b.handler.Group == g && b.handler.Handshake != nil {
			return true
		}
	}
	return false
}

// orderedGroups lists a snapshot's upstream groups: the upstream {} blocks
// in configuration order, then the implicit groups of proxy_pass
// addresses in the order of the server blocks using them.
func orderedGroups(cfg *config.Config, gs *groupSet, blocks []*block) []*upstream.Group {
	var out []*upstream.Group
	seen := map[*upstream.Group]bool{}
	add := func(g *upstream.Group) {
		if g != nil && !seen[g] {
			seen[g] = true
			out = append(out, g)
		}
	}
	for _, u := range cfg.Stream.Upstreams {
		add(gs.named[u.Name])
	}
	for _, b := range blocks {
		if b.handler != nil {
			add(b.handler.Group)
		}
	}
	return out
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
