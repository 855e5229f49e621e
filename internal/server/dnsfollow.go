package server

import (
	"context"
	"sync"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/resolver"
	"github.com/straitproxy/strait/internal/upstream"
)

// dnsRun is one group following DNS and the client it asks.
type dnsRun struct {
	group    *upstream.Group
	resolver upstream.Resolver
}

// upstreamResolver builds the DNS client of an upstream block: its own
// resolver directive, else the stream block's, with resolver_timeout
// from the block when it sets one.
func upstreamResolver(st *config.Stream, u *config.Upstream) *resolver.Client {
	c := &resolver.Client{
		Servers: st.Resolvers, Timeout: st.ResolverTimeout, Valid: st.ResolverValid,
		NoIPv4: st.ResolverNoIPv4, NoIPv6: st.ResolverNoIPv6,
	}
	if r := u.Resolver; r != nil {
		if len(r.Servers) > 0 {
			c.Servers, c.Valid, c.NoIPv4, c.NoIPv6 = r.Servers, r.Valid, r.NoIPv4, r.NoIPv6
		}
		if r.Timeout > 0 {
			c.Timeout = r.Timeout
		}
	}
	return c
}

// dnsClient adapts resolver.Client to the group's Resolver hook.
type dnsClient struct{ c *resolver.Client }

func (d dnsClient) LookupHost(ctx context.Context, host string) (upstream.Resolved, error) {
	a, err := d.c.LookupHost(ctx, host)
	return convertAnswer(a), err
}

func (d dnsClient) LookupSRV(ctx context.Context, name string) (upstream.Resolved, error) {
	a, err := d.c.LookupSRV(ctx, name)
	return convertAnswer(a), err
}

func convertAnswer(a resolver.Answer) upstream.Resolved {
	out := upstream.Resolved{TTL: a.TTL, TargetErrors: a.TargetErrors}
	for _, x := range a.Addrs {
		out.Addrs = append(out.Addrs, upstream.ResolvedAddr{
			IP: x.IP, Port: x.Port, Target: x.Target, Priority: x.Priority, Weight: x.Weight,
		})
	}
	return out
}

// startDNS makes the groups of snap with resolve servers follow DNS
// while snap is the running configuration; unwatch stops them. A group
// of the next configuration takes over their answers and peers.
func (s *Server) startDNS(snap *snapshot) {
	if len(snap.dns) == 0 {
		return
	}
	ctx, cancel := context.WithCancel(s.rootCtx)
	var wg sync.WaitGroup
	for _, r := range snap.dns {
		wg.Go(func() { r.group.RunResolver(ctx, r.resolver, nil) })
	}
	snap.mu.Lock()
	snap.stopDNS = func() {
		cancel()
		wg.Wait()
	}
	snap.mu.Unlock()
}
