package server

import (
	"context"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/resolver"
)

// maxPassNames bounds the answers kept for host names a proxy_pass with
// variables named; past it the entry closest to expiry makes room.
const maxPassNames = 256

// passResolver resolves the host names of proxy_pass values per
// session through the stream block's resolver, keeping each answer for
// its TTL (or the resolver's valid=), as nginx's resolver caches them.
// Failures are not kept: the next session asks again.
type passResolver struct {
	client *resolver.Client
	now    func() time.Time

	mu      sync.Mutex
	answers map[string]passAnswer // by lower-case name
}

type passAnswer struct {
	ips     []netip.Addr
	expires time.Time
}

// newPassResolver returns nil without a resolver directive: nginx then
// ends such sessions with "no resolver defined to resolve".
func newPassResolver(st *config.Stream, now func() time.Time) *passResolver {
	if len(st.Resolvers) == 0 {
		return nil
	}
	return &passResolver{
		client: &resolver.Client{
			Servers: st.Resolvers, Timeout: st.ResolverTimeout, Valid: st.ResolverValid,
			NoIPv4: st.ResolverNoIPv4, NoIPv6: st.ResolverNoIPv6,
		},
		now:     now,
		answers: map[string]passAnswer{},
	}
}

// lookup returns host's addresses, from the cache while its answer is
// valid. Its errors are *resolver.Error, worded as nginx words them.
func (r *passResolver) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	key := strings.ToLower(strings.TrimSuffix(host, "."))
	now := r.now()
	r.mu.Lock()
	a, ok := r.answers[key]
	r.mu.Unlock()
	if ok && now.Before(a.expires) {
		return a.ips, nil
	}
	ans, err := r.client.LookupHost(ctx, host)
	if err != nil {
		return nil, err
	}
	a = passAnswer{expires: now.Add(ans.TTL)}
	for _, x := range ans.Addrs {
		a.ips = append(a.ips, x.IP)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.answers[key]; !ok && len(r.answers) >= maxPassNames {
		r.evict(now)
	}
	r.answers[key] = a
	return a.ips, nil
}

// evict drops the expired answers, else the one that expires first.
func (r *passResolver) evict(now time.Time) {
	var first string
	var at time.Time
	for k, a := range r.answers {
		if !now.Before(a.expires) {
			delete(r.answers, k)
			first = ""
			continue
		}
		if first == "" || a.expires.Before(at) {
			first, at = k, a.expires
		}
	}
	if len(r.answers) >= maxPassNames {
		delete(r.answers, first)
	}
}
