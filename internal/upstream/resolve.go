package upstream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// This file follows the resolve parts of nginx 1.27.3's
// ngx_stream_upstream_zone_module.c (ngx_stream_upstream_zone_resolve_timer
// and _resolve_handler): a server with the resolve parameter becomes the
// peers of its name's current DNS answer, asked again when the answer
// expires; peers that stay keep their state, new ones start afresh, and
// removed ones leave the set while their sessions run on.

// Resolver looks names up for resolve servers; strait's DNS client
// (internal/resolver) implements it through a small adapter, tests with
// a fake.
type Resolver interface {
	// LookupHost returns the addresses of host.
	LookupHost(ctx context.Context, host string) (Resolved, error)
	// LookupSRV returns the addresses of the targets of the SRV records
	// of name.
	LookupSRV(ctx context.Context, name string) (Resolved, error)
}

// Resolved is a DNS answer.
type Resolved struct {
	Addrs []ResolvedAddr
	// TTL is how long the answer is valid.
	TTL time.Duration
	// TargetErrors are SRV targets that failed while others resolved.
	TargetErrors map[string]error
}

// ResolvedAddr is one address of an answer; Port, Target, Priority and
// Weight come from SRV records.
type ResolvedAddr struct {
	IP       netip.Addr
	Port     uint16
	Target   string
	Priority uint16
	Weight   uint16
}

// hostKey identifies a resolve server across configurations.
type hostKey struct {
	name, service string
	backup        bool
}

// hostState is the last answer for a resolve server.
type hostState struct {
	addrs []ResolvedAddr
	// due is when the name is asked again; zero: at once.
	due time.Time
}

// minRefresh is nginx's floor for the re-resolve timer: an answer with
// TTL 0 is asked again after a second, not in a loop.
const minRefresh = time.Second

// notFoundValid is how long nginx's resolver keeps a "host not found"
// (its cache time for errors).
const notFoundValid = 10 * time.Second

func (s ServerSpec) hostKey() hostKey {
	return hostKey{name: s.Name, service: s.Service, backup: s.Backup}
}

// followsDNS reports whether any server of the group has resolve.
func (g *Group) followsDNS() bool {
	return slices.ContainsFunc(g.specs, func(s ServerSpec) bool { return s.Resolve })
}

// takeHostsLocked adds g's resolve servers to the zone, keeping the
// answers the previous configuration had for the same names. Entries
// of servers g lacks stay: if this configuration fails to start, the
// running one keeps following them.
func (g *Group) takeHostsLocked() {
	if g.z.hosts == nil {
		g.z.hosts = map[hostKey]*hostState{}
	}
	for _, s := range g.specs {
		if k := s.hostKey(); s.Resolve && g.z.hosts[k] == nil {
			g.z.hosts[k] = &hostState{}
		}
	}
}

// claim makes g the group that follows DNS for its zone, once its
// configuration runs; the group it replaces stops at its next refresh.
func (g *Group) claim() {
	g.z.mu.Lock()
	g.z.owner = g
	g.z.mu.Unlock()
}

// queryName is the DNS name a resolve server asks: its host, or for
// service= the SRV name nginx builds (ngx_resolve_name): a service
// without a dot becomes "_service._tcp.host", one with a dot is joined
// to the host as it is.
func (s ServerSpec) queryName() string {
	host := s.Name
	if s.Service == "" {
		host, _, _ = net.SplitHostPort(s.Name)
		return host
	}
	if strings.Contains(s.Service, ".") {
		return s.Service + "." + host
	}
	return "_" + s.Service + "._tcp." + host
}

// expandLocked turns the group's servers into specs with addresses: the
// configured ones as they are, each resolve server into the peers of its
// last answer (ngx_stream_upstream_zone_resolve_handler). An SRV answer's
// records of the lowest priority become peers of the server's own tier;
// the others backups of a primary server, and are ignored for a backup
// server. The weight of an SRV peer is the record's unless the server
// sets one other than 1.
func (g *Group) expandLocked() []ServerSpec {
	out := make([]ServerSpec, 0, len(g.specs))
	for _, s := range g.specs {
		if !s.Resolve {
			out = append(out, s)
			continue
		}
		st := g.z.hosts[s.hostKey()]
		if st == nil || len(st.addrs) == 0 {
			continue
		}
		origin := s.queryName()
		if s.Service == "" {
			_, port, _ := net.SplitHostPort(s.Name)
			e := s
			e.Resolve, e.origin, e.Addrs = false, origin, nil
			for _, a := range st.addrs {
				e.Addrs = append(e.Addrs, net.JoinHostPort(a.IP.Unmap().String(), port))
			}
			out = append(out, e)
			continue
		}
		minPrio := st.addrs[0].Priority
		for _, a := range st.addrs {
			minPrio = min(minPrio, a.Priority)
		}
		for _, a := range st.addrs {
			e := s
			e.Resolve, e.Service, e.origin = false, "", origin
			if a.Priority != minPrio {
				if s.Backup {
					continue
				}
				e.Backup = true
			}
			e.Name = a.Target
			if s.weight() == 1 {
				// RFC 2782 weight 0 means "rarely"; a peer of weight
				// 0 would never be picked here, so it counts as 1.
				e.Weight = max(int(a.Weight), 1)
			}
			e.Addrs = []string{net.JoinHostPort(a.IP.Unmap().String(), strconv.Itoa(int(a.Port)))}
			out = append(out, e)
		}
	}
	return out
}

// Refresh asks r again for every resolve server whose answer has expired
// and, when an answer changed, replaces the peer set: peers that stay
// keep their state (failures, connections, health), new ones start
// afresh, and sessions on removed ones finish undisturbed on the set
// they started with. A failure is logged in nginx's words; "host not
// found" removes the name's peers as nginx does, any other failure keeps
// the last answer and asks again after resolver_timeout. It returns
// when the next server is due, zero when the group follows no names or
// has been replaced by a newer configuration's group.
func (g *Group) Refresh(ctx context.Context, r Resolver) time.Time {
	g.z.mu.Lock()
	if g.z.owner != g {
		g.z.mu.Unlock()
		return time.Time{}
	}
	now := g.now()
	var due []ServerSpec
	for _, s := range g.specs {
		if st := g.z.hosts[s.hostKey()]; s.Resolve && st != nil && !st.due.After(now) {
			due = append(due, s)
		}
	}
	g.z.mu.Unlock()

	answers := make([]Resolved, len(due))
	errs := make([]error, len(due))
	var wg sync.WaitGroup
	for i, s := range due {
		wg.Go(func() {
			if s.Service != "" {
				answers[i], errs[i] = r.LookupSRV(ctx, s.queryName())
			} else {
				answers[i], errs[i] = r.LookupHost(ctx, s.queryName())
			}
		})
	}
	wg.Wait()

	g.z.mu.Lock()
	defer g.z.mu.Unlock()
	if g.z.owner != g {
		return time.Time{}
	}
	now = g.now()
	changed := false
	for i, s := range due {
		st := g.z.hosts[s.hostKey()]
		if st == nil {
			continue
		}
		changed = g.applyLocked(s, st, answers[i], errs[i], now) || changed
	}
	if changed {
		if set, err := g.newPeerSetLocked(g.expandLocked()); err == nil {
			g.set = set
			g.z.keepOnly(set)
		}
	}
	var next time.Time
	for _, s := range g.specs {
		if st := g.z.hosts[s.hostKey()]; s.Resolve && st != nil && (next.IsZero() || st.due.Before(next)) {
			next = st.due
		}
	}
	return next
}

// applyLocked records one lookup's outcome and reports whether the
// name's addresses changed.
func (g *Group) applyLocked(s ServerSpec, st *hostState, ans Resolved, err error, now time.Time) bool {
	name := s.Name
	if s.Service == "" {
		name = s.queryName()
	}
	for target, terr := range ans.TargetErrors {
		g.log.Error(fmt.Sprintf("%s could not be resolved (%v) while resolving service %s of %s", target, terr, s.Service, name),
			"upstream", g.name)
	}
	if err != nil {
		if s.Service != "" {
			g.log.Error(fmt.Sprintf("service %s of %s could not be resolved (%v)", s.Service, name, err), "upstream", g.name)
		} else {
			g.log.Error(fmt.Sprintf("%s could not be resolved (%v)", name, err), "upstream", g.name)
		}
		var nf interface{ NotFound() bool }
		if !errors.As(err, &nf) || !nf.NotFound() {
			st.due = now.Add(max(g.resolverTimeout, minRefresh))
			return false
		}
		st.due = now.Add(notFoundValid)
		ans = Resolved{}
	} else {
		st.due = now.Add(max(ans.TTL, minRefresh))
	}
	addrs := slices.Clone(ans.Addrs)
	slices.SortFunc(addrs, compareAddrs)
	if slices.Equal(addrs, st.addrs) {
		return false
	}
	st.addrs = addrs
	return true
}

// compareAddrs orders answers so that a server answering in another
// order changes nothing.
func compareAddrs(a, b ResolvedAddr) int {
	if c := strings.Compare(a.Target, b.Target); c != 0 {
		return c
	}
	if c := a.IP.Compare(b.IP); c != 0 {
		return c
	}
	return int(a.Port) - int(b.Port)
}

// RunResolver follows DNS for the group until ctx ends or a newer
// configuration's group takes the zone over: Refresh, then sleep until
// the next name is due. sleep waits (nil: a timer); it reports false
// when ctx ended.
func (g *Group) RunResolver(ctx context.Context, r Resolver, sleep func(context.Context, time.Duration) bool) {
	if sleep == nil {
		sleep = sleepTimer
	}
	g.claim()
	for ctx.Err() == nil {
		next := g.Refresh(ctx, r)
		if next.IsZero() || !sleep(ctx, next.Sub(g.now())) {
			return
		}
	}
}

// FollowsDNS reports whether the group has resolve servers.
func (g *Group) FollowsDNS() bool { return g.followsDNS() }
