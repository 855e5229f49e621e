package upstream

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// notFound mimics the resolver's NXDOMAIN error.
type notFound struct{}

func (notFound) Error() string  { return "3: Host not found" }
func (notFound) NotFound() bool { return true }

var errTimedOut = errors.New("110: Operation timed out")

// fakeResolver answers from maps that tests change between refreshes.
type fakeResolver struct {
	mu    sync.Mutex
	hosts map[string]Resolved
	errs  map[string]error
	asked []string
}

func (f *fakeResolver) lookup(name string) (Resolved, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, name)
	if err := f.errs[name]; err != nil {
		return Resolved{}, err
	}
	ans, ok := f.hosts[name]
	if !ok {
		return Resolved{}, notFound{}
	}
	return ans, nil
}

func (f *fakeResolver) LookupHost(_ context.Context, h string) (Resolved, error) { return f.lookup(h) }
func (f *fakeResolver) LookupSRV(_ context.Context, n string) (Resolved, error)  { return f.lookup(n) }

func (f *fakeResolver) set(name string, ttl time.Duration, addrs ...ResolvedAddr) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hosts[name] = Resolved{Addrs: addrs, TTL: ttl}
}

func ip(s string) ResolvedAddr { return ResolvedAddr{IP: netip.MustParseAddr(s)} }

func srvAddr(target, addr string, port, prio, weight uint16) ResolvedAddr {
	return ResolvedAddr{IP: netip.MustParseAddr(addr), Port: port, Target: target, Priority: prio, Weight: weight}
}

func resolveSpec(name string) ServerSpec {
	s := DefaultServerSpec(name)
	s.Resolve = true
	return s
}

func addrsOf(g *Group) string {
	var out []string
	for _, p := range g.Peers() {
		s := p.Addr
		if p.Backup {
			s += "(b)"
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

func TestResolvePeersFollowTTL(t *testing.T) {
	clock := newFakeClock()
	r := &fakeResolver{hosts: map[string]Resolved{}}
	r.set("app.test", 5*time.Second, ip("10.0.0.1"), ip("10.0.0.2"))
	g, err := NewGroup("backend", []ServerSpec{resolveSpec("app.test:80")}, Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if got := addrsOf(g); got != "" {
		t.Fatalf("before the first lookup: %q, want no peers", got)
	}
	if _, err := g.NewSelection().Next(); !errors.Is(err, ErrNoLiveUpstreams) {
		t.Fatalf("Next without peers: %v, want ErrNoLiveUpstreams", err)
	}
	next := g.Refresh(context.Background(), r)
	if got := addrsOf(g); got != "10.0.0.1:80 10.0.0.2:80" {
		t.Fatalf("peers = %q", got)
	}
	if want := clock.Now().Add(5 * time.Second); !next.Equal(want) {
		t.Errorf("next refresh %v, want %v (the TTL)", next, want)
	}
	for _, p := range g.Peers() {
		if p.Origin != "app.test" || p.Name != "app.test:80" {
			t.Errorf("peer %s: origin %q name %q", p.Addr, p.Origin, p.Name)
		}
	}

	// 10.0.0.2 fails and a session holds 10.0.0.1; then the record
	// changes: 10.0.0.2 goes, 10.0.0.3 comes.
	sel := g.NewSelection()
	held, _ := sel.Next()
	fail := g.NewSelection()
	p, _ := fail.Next()
	fail.Release(p, true)
	r.set("app.test", 5*time.Second, ip("10.0.0.1"), ip("10.0.0.3"))
	clock.Advance(4 * time.Second)
	g.Refresh(context.Background(), r)
	if got := addrsOf(g); got != "10.0.0.1:80 10.0.0.2:80" {
		t.Fatalf("before the TTL ran out the peers changed: %q", got)
	}
	clock.Advance(time.Second)
	g.Refresh(context.Background(), r)
	if got := addrsOf(g); got != "10.0.0.1:80 10.0.0.3:80" {
		t.Fatalf("after the TTL: %q", got)
	}
	for _, ps := range g.Peers() {
		if ps.Addr == held.Addr && ps.Conns != 1 {
			t.Errorf("%s lost its active connection: %+v", ps.Addr, ps)
		}
	}
	// The session that started before the change still releases its
	// peer, removed or not.
	sel.Release(held, false)
	if got := picks(t, g, 4); !strings.Contains(got, "10.0.0.3:80") {
		t.Errorf("new peer never picked: %s", got)
	}
}

func TestResolveFailureKeepsLastAnswer(t *testing.T) {
	clock := newFakeClock()
	var buf bytes.Buffer
	r := &fakeResolver{hosts: map[string]Resolved{}, errs: map[string]error{}}
	r.set("app.test", time.Second, ip("10.0.0.1"))
	g, err := NewGroup("backend", []ServerSpec{resolveSpec("app.test:80"), DefaultServerSpec("static:1", "192.0.2.1:1")},
		Options{Now: clock.Now, Logger: slog.New(slog.NewTextHandler(&buf, nil)), ResolverTimeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	g.Refresh(context.Background(), r)
	r.errs["app.test"] = errTimedOut
	clock.Advance(time.Second)
	next := g.Refresh(context.Background(), r)
	if got := addrsOf(g); got != "10.0.0.1:80 192.0.2.1:1" {
		t.Errorf("after a timeout: %q, want the last answer kept", got)
	}
	if want := clock.Now().Add(3 * time.Second); !next.Equal(want) {
		t.Errorf("retry at %v, want after resolver_timeout %v", next, want)
	}
	if !strings.Contains(buf.String(), "app.test could not be resolved (110: Operation timed out)") {
		t.Errorf("log: %s", buf.String())
	}

	// Host not found drops the name's peers, as nginx does; the static
	// server stays.
	buf.Reset()
	delete(r.errs, "app.test")
	delete(r.hosts, "app.test")
	clock.Advance(3 * time.Second)
	g.Refresh(context.Background(), r)
	if got := addrsOf(g); got != "192.0.2.1:1" {
		t.Errorf("after NXDOMAIN: %q", got)
	}
	if !strings.Contains(buf.String(), "app.test could not be resolved (3: Host not found)") {
		t.Errorf("log: %s", buf.String())
	}
}

func TestResolveSRVPriorityAndWeight(t *testing.T) {
	clock := newFakeClock()
	r := &fakeResolver{hosts: map[string]Resolved{}}
	r.set("_app._tcp.svc.test", time.Minute,
		srvAddr("a.svc.test", "10.0.0.1", 8001, 10, 5),
		srvAddr("b.svc.test", "10.0.0.2", 8002, 10, 0),
		srvAddr("c.svc.test", "10.0.0.3", 8003, 20, 1))
	s := DefaultServerSpec("svc.test")
	s.Resolve, s.Service = true, "app"
	g, err := NewGroup("backend", []ServerSpec{s}, Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	g.Refresh(context.Background(), r)
	if got := addrsOf(g); got != "10.0.0.1:8001 10.0.0.2:8002 10.0.0.3:8003(b)" {
		t.Fatalf("peers = %q", got)
	}
	w := map[string]int{}
	for _, p := range g.Peers() {
		w[p.Name] = p.Weight
		if p.Origin != "_app._tcp.svc.test" {
			t.Errorf("origin %q", p.Origin)
		}
	}
	if w["a.svc.test"] != 5 || w["b.svc.test"] != 1 {
		t.Errorf("weights %v, want a 5 and b 1 (weight 0 counts as 1)", w)
	}
	// A service with a dot is joined to the name as it is.
	s.Service = "_x._udp"
	if got := s.queryName(); got != "_x._udp.svc.test" {
		t.Errorf("query name %q", got)
	}
}

func TestReloadKeepsResolvedPeersAndOnlyNewestFollows(t *testing.T) {
	clock := newFakeClock()
	r := &fakeResolver{hosts: map[string]Resolved{}}
	r.set("app.test", time.Minute, ip("10.0.0.1"), ip("10.0.0.2"))
	specs := []ServerSpec{resolveSpec("app.test:80")}
	old, err := NewGroup("backend", specs, Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	old.Refresh(context.Background(), r)
	pickOnce(t, old, true) // one peer fails
	next, err := NewGroup("backend", specs, Options{Now: clock.Now, Previous: old})
	if err != nil {
		t.Fatal(err)
	}
	if got := addrsOf(next); got != "10.0.0.1:80 10.0.0.2:80" {
		t.Fatalf("new configuration starts with %q, want the old answer", got)
	}
	fails := 0
	for _, p := range next.Peers() {
		fails += p.Fails
	}
	if fails != 1 {
		t.Errorf("failures after reload = %d, want 1 kept", fails)
	}
	next.claim() // as RunResolver does once the new configuration runs
	clock.Advance(time.Minute)
	if due := old.Refresh(context.Background(), r); !due.IsZero() {
		t.Errorf("replaced group still follows DNS (next %v)", due)
	}
	n := len(r.asked)
	next.Refresh(context.Background(), r)
	if len(r.asked) != n+1 {
		t.Errorf("newest group asked %d times, want 1", len(r.asked)-n)
	}
}
