package server

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/straitproxy/strait/internal/accesslog"
	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/metrics"
	"github.com/straitproxy/strait/internal/tlsconf"
)

// blockCounters are one server block's sessions and bytes. A block's
// sessions update them with atomics, so that blocks never contend on the
// collector's lock for these.
type blockCounters struct {
	active   atomic.Int64
	sessions atomic.Uint64
	bytes    [4]atomic.Uint64 // from client, to client, from upstream, to upstream
}

func (b *blockCounters) finished(rec *accesslog.Session) {
	b.sessions.Add(1)
	b.bytes[0].Add(uint64(max(rec.BytesReceived, 0)))
	b.bytes[1].Add(uint64(max(rec.BytesSent, 0)))
	for _, a := range rec.Attempts {
		b.bytes[2].Add(uint64(max(a.BytesReceived, 0)))
		b.bytes[3].Add(uint64(max(a.BytesSent, 0)))
	}
}

// blockStats hands out each block's counters by name. A block's name is
// its listen addresses, so a reload that keeps them keeps counting in the
// same counters, as peers do by upstream name and address. Like the peer
// counters, entries are never removed; a reload that drops a block only
// stops it being exported.
type blockStats struct {
	mu     sync.Mutex
	byName map[string]*blockCounters
}

func (s *blockStats) get(name string) *blockCounters {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byName == nil {
		s.byName = map[string]*blockCounters{}
	}
	b := s.byName[name]
	if b == nil {
		b = &blockCounters{}
		s.byName[name] = b
	}
	return b
}

// blockName names a server block by the addresses of its listen
// directives, as config gives them ("0.0.0.0:80" for "listen 80").
func blockName(sc *config.Server) string {
	names := make([]string, 0, len(sc.Listens))
	for _, l := range sc.Listens {
		a := l.Address
		if l.Network == "unix" && !strings.HasPrefix(a, "unix:") {
			a = "unix:" + a
		}
		if l.PortHigh > 0 {
			a += "-" + strconv.Itoa(l.PortHigh)
		}
		names = append(names, a)
	}
	return strings.Join(names, ", ")
}

// fillServers adds the blocks of snap to out, in configuration order.
func fillServers(out *metrics.Snapshot, snap *snapshot) {
	for _, b := range snap.blocks {
		if b.stats == nil {
			continue
		}
		c := b.stats
		out.Servers = append(out.Servers, metrics.Server{
			Name: blockName(b.cfg), Pos: b.cfg.Pos.String(),
			Active: c.active.Load(), Sessions: c.sessions.Load(),
			Bytes: metrics.Bytes{
				FromClient: c.bytes[0].Load(), ToClient: c.bytes[1].Load(),
				FromUpstream: c.bytes[2].Load(), ToUpstream: c.bytes[3].Load(),
			},
		})
	}
}

// verifyFailedLocked counts a refused peer certificate by its reason, the
// text $upstream_ssl_verify gives it; c.mu must be held. The reasons are
// OpenSSL's fixed texts, so the map stays small.
func (c *statsCollector) verifyFailedLocked(group, addr string, err error) {
	var he *tlsconf.HandshakeError
	if !errors.As(err, &he) || he.Reason == "" {
		return
	}
	pc := c.peerLocked(group, addr)
	if pc.verify == nil {
		pc.verify = map[string]uint64{}
	}
	pc.verify[he.Reason]++
}
