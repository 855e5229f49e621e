package upstream

import (
	"fmt"
	"strings"
	"testing"
)

func newMethodGroup(t *testing.T, m Method, specs ...ServerSpec) *Group {
	t.Helper()
	g, err := NewGroup("backend", specs, Options{Now: newFakeClock().Now, Method: m, Rand: seq(1, 2, 3, 4, 5, 6, 7, 8, 9)})
	if err != nil {
		t.Fatalf("NewGroup: %v", err)
	}
	return g
}

// seq returns a generator cycling through vals.
func seq(vals ...uint64) func() uint64 {
	i := 0
	return func() uint64 { v := vals[i%len(vals)]; i++; return v }
}

// keyed picks once for key and releases.
func keyed(t *testing.T, g *Group, key string) string {
	t.Helper()
	sel := g.NewSelection()
	sel.SetKey([]byte(key))
	p, err := sel.Next()
	if err != nil {
		t.Fatalf("Next(%q): %v", key, err)
	}
	sel.Release(p, false)
	return p.Addr
}

func TestLeastConnPrefersFewestPerWeight(t *testing.T) {
	g := newMethodGroup(t, Method{Kind: LeastConn}, spec("a", weight(2)), spec("b"), spec("c"))
	// Hold every session: a (weight 2) takes two for each of b's and c's.
	var got []string
	for range 8 {
		sel := g.NewSelection()
		p, err := sel.Next()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, p.Addr)
	}
	// Ties go by smooth weighted round robin among the tied peers
	// (worked through by hand from nginx's least_conn).
	if s := strings.Join(got, " "); s != "a b c a c a b a" {
		t.Errorf("picks = %s", s)
	}
}

func TestLeastConnTiesByRoundRobin(t *testing.T) {
	g := newMethodGroup(t, Method{Kind: LeastConn}, spec("a", weight(5)), spec("b"), spec("c"))
	// Released at once, every pick is a tie: round robin's sequence.
	if got := picks(t, g, 7); got != "a a b a c a a" {
		t.Errorf("picks = %s", got)
	}
}

func TestLeastConnUsesBackups(t *testing.T) {
	g := newMethodGroup(t, Method{Kind: LeastConn}, spec("a", down), spec("b", backup))
	if got := picks(t, g, 2); got != "b b" {
		t.Errorf("picks = %s", got)
	}
}

func TestHashIsStableAndRehashes(t *testing.T) {
	specs := []ServerSpec{spec("a"), spec("b"), spec("c"), spec("d")}
	g := newMethodGroup(t, Method{Kind: Hash}, specs...)
	first := map[string]string{}
	for i := range 100 {
		k := fmt.Sprint("key", i)
		first[k] = keyed(t, g, k)
		if again := keyed(t, g, k); again != first[k] {
			t.Fatalf("%s went to %s, then %s", k, first[k], again)
		}
	}
	// With b down, b's keys move, the others stay.
	specs[1].Down = true
	g = newMethodGroup(t, Method{Kind: Hash}, specs...)
	for k, was := range first {
		now := keyed(t, g, k)
		if now == "b" || was != "b" && now != was {
			t.Errorf("%s: %s -> %s", k, was, now)
		}
	}
}

func TestHashEmptyKeyIsRoundRobin(t *testing.T) {
	g := newMethodGroup(t, Method{Kind: Hash}, spec("a"), spec("b"))
	var got []string
	for range 4 {
		got = append(got, keyed(t, g, ""))
	}
	if s := strings.Join(got, " "); s != "a b a b" {
		t.Errorf("picks = %s", s)
	}
}

func TestHashTriesEveryPeer(t *testing.T) {
	g := newMethodGroup(t, Method{Kind: Hash, Consistent: true}, spec("a"), spec("b"), spec("c"))
	sel := g.NewSelection()
	sel.SetKey([]byte("k"))
	seen := map[string]bool{}
	for sel.Tries() > 0 {
		p, err := sel.Next()
		if err != nil {
			t.Fatal(err)
		}
		seen[p.Addr] = true
		sel.Release(p, true)
	}
	if len(seen) != 3 {
		t.Errorf("tried %v", seen)
	}
}

func TestConsistentHashMovesFewKeys(t *testing.T) {
	three := []ServerSpec{spec("10.0.0.1:80"), spec("10.0.0.2:80"), spec("10.0.0.3:80")}
	four := append(three[:3:3], spec("10.0.0.4:80"))
	m := Method{Kind: Hash, Consistent: true}
	g3, g4 := newMethodGroup(t, m, three...), newMethodGroup(t, m, four...)
	g2 := newMethodGroup(t, m, three[0], three[2])
	moved, movedOther, share := 0, 0, map[string]int{}
	const n = 10000
	for i := range n {
		k := fmt.Sprintf("192.0.%d.%d", i/256, i%256)
		a, b := keyed(t, g3, k), keyed(t, g4, k)
		share[a]++
		if a != b {
			moved++
			if b != "10.0.0.4:80" {
				t.Errorf("%s moved from %s to %s, not to the new server", k, a, b)
			}
		}
		if c := keyed(t, g2, k); a != "10.0.0.2:80" && c != a {
			movedOther++
		}
	}
	t.Logf("adding a 4th server moved %d of %d keys; shares of three: %v", moved, n, share)
	if moved < n*15/100 || moved > n*35/100 {
		t.Errorf("adding a 4th server moved %d of %d keys, want 15-35%%", moved, n)
	}
	if movedOther != 0 {
		t.Errorf("removing 10.0.0.2:80 moved %d keys of other servers", movedOther)
	}
}

func TestChashServerKey(t *testing.T) {
	for in, want := range map[string]string{
		"10.0.0.1:80":   "10.0.0.1\x0080",
		"[::1]:8080":    "[::1]\x008080",
		"unix:/tmp/s":   "/tmp/s\x00",
		"UNIX:/tmp/s":   "/tmp/s\x00",
		"backend:x":     "backend:x\x00",
		"a.example:443": "a.example\x00443",
	} {
		if got := string(chashServerKey(in)); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

func TestRandomWeightedAndTwo(t *testing.T) {
	g := newMethodGroup(t, Method{Kind: Random}, spec("a", weight(2)), spec("b"), spec("c"))
	// Draws 1..9 mod total weight 4: 1 2 3 0 1 2 3 0 1 -> a b c a ...
	if got := picks(t, g, 5); got != "a b c a a" {
		t.Errorf("picks = %s", got)
	}
	g = newMethodGroup(t, Method{Kind: Random, Two: true}, spec("a"), spec("b"), spec("c"))
	// Hold a session on b, then draw b (2) and c (3): c has fewer.
	g.set.balancer.(*random).rand = seq(0, 1)
	hold := g.NewSelection()
	if p, _ := hold.Next(); p.Addr != "b" {
		t.Fatalf("first = %s", p.Addr)
	}
	g.set.balancer.(*random).rand = seq(1, 2)
	sel := g.NewSelection()
	if p, _ := sel.Next(); p.Addr != "c" {
		t.Errorf("two least_conn picked %s, want c", p.Addr)
	}
}

func TestMaxConnsEveryMethod(t *testing.T) {
	for _, m := range []Method{{}, {Kind: LeastConn}, {Kind: Hash}, {Kind: Hash, Consistent: true}, {Kind: Random}, {Kind: Random, Two: true}} {
		g := newMethodGroup(t, m, spec("a", maxConns(1)), spec("b", maxConns(1)))
		for i := range 2 {
			sel := g.NewSelection()
			sel.SetKey([]byte("k"))
			if _, err := sel.Next(); err != nil {
				t.Fatalf("%v: session %d: %v", m, i, err)
			}
		}
		sel := g.NewSelection()
		sel.SetKey([]byte("k"))
		if p, err := sel.Next(); err != ErrNoLiveUpstreams {
			t.Errorf("%v: third session got %v, %v", m, p, err)
		}
	}
}
