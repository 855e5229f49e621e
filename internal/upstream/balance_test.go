package upstream

import (
	"strings"
	"testing"
)

// spec builds a server with nginx defaults and one address equal to name.
func spec(name string, mod ...func(*ServerSpec)) ServerSpec {
	s := DefaultServerSpec(name, name)
	for _, m := range mod {
		m(&s)
	}
	return s
}

func weight(w int) func(*ServerSpec)   { return func(s *ServerSpec) { s.Weight = w } }
func maxFails(n int) func(*ServerSpec) { return func(s *ServerSpec) { s.MaxFails = n } }
func maxConns(n int) func(*ServerSpec) { return func(s *ServerSpec) { s.MaxConns = n } }
func backup(s *ServerSpec)             { s.Backup = true }
func down(s *ServerSpec)               { s.Down = true }

func newTestGroup(t *testing.T, clock *fakeClock, specs ...ServerSpec) *Group {
	t.Helper()
	g, err := NewGroup("backend", specs, Options{Now: clock.Now})
	if err != nil {
		t.Fatalf("NewGroup: %v", err)
	}
	return g
}

// pickOnce runs one whole session: pick, then release as given.
func pickOnce(t *testing.T, g *Group, failed bool) string {
	t.Helper()
	sel := g.NewSelection()
	p, err := sel.Next()
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	sel.Release(p, failed)
	return p.Addr
}

// picks runs n successful sessions and returns the chosen addresses.
func picks(t *testing.T, g *Group, n int) string {
	t.Helper()
	got := make([]string, n)
	for i := range got {
		got[i] = pickOnce(t, g, false)
	}
	return strings.Join(got, " ")
}

func TestSmoothWeightedSequence(t *testing.T) {
	tests := []struct {
		name  string
		specs []ServerSpec
		want  string // one cycle; asserted three times over
	}{
		{"5/1/1", []ServerSpec{spec("a", weight(5)), spec("b"), spec("c")}, "a a b a c a a"},
		{"1/2", []ServerSpec{spec("a"), spec("b", weight(2))}, "b a b"},
		{"equal", []ServerSpec{spec("a"), spec("b"), spec("c")}, "a b c"},
		{"4/2/1", []ServerSpec{spec("a", weight(4)), spec("b", weight(2)), spec("c")}, "a b a c a b a"},
		{"down skipped", []ServerSpec{spec("a", down), spec("b"), spec("c", weight(2))}, "c b c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newTestGroup(t, newFakeClock(), tt.specs...)
			cycle := strings.Count(tt.want, " ") + 1
			want := strings.TrimSpace(strings.Repeat(tt.want+" ", 3))
			if got := picks(t, g, 3*cycle); got != want {
				t.Errorf("sequence:\n got %s\nwant %s", got, want)
			}
		})
	}
}

func TestNameWithSeveralAddressesMakesSeveralPeers(t *testing.T) {
	s := DefaultServerSpec("db.example:5432", "10.0.0.1:5432", "10.0.0.2:5432")
	s.Weight = 2
	g := newTestGroup(t, newFakeClock(), s, spec("z"))
	if got, want := picks(t, g, 5), "10.0.0.1:5432 10.0.0.2:5432 z 10.0.0.1:5432 10.0.0.2:5432"; got != want {
		t.Errorf("sequence:\n got %s\nwant %s", got, want)
	}
	for _, ps := range g.Peers()[:2] {
		if ps.Name != "db.example:5432" || ps.Weight != 2 {
			t.Errorf("peer %+v: want name db.example:5432 weight 2", ps)
		}
	}
	// Two addresses are two peers, so the single-peer shortcut is off.
	g2 := newTestGroup(t, newFakeClock(), DefaultServerSpec("n", "10.0.0.1:1", "10.0.0.2:1"))
	pickOnce(t, g2, true)
	if f := g2.Peers()[0].Fails; f != 1 {
		t.Errorf("fails after failure in a two-address group = %d, want 1", f)
	}
}

func TestEffectiveWeightDropsOnFailureAndRecovers(t *testing.T) {
	// a: weight 3, max_fails 3, so one failure costs 3/3 = 1 effective
	// weight and leaves it selectable. Without the drop the second pick
	// would be a tie won by a; with it b wins.
	g := newTestGroup(t, newFakeClock(), spec("a", weight(3), maxFails(3)), spec("b", maxFails(0)))
	if got := pickOnce(t, g, true); got != "a" {
		t.Fatalf("first pick = %s, want a", got)
	}
	if ew := g.Peers()[0].EffectiveWeight; ew != 2 {
		t.Errorf("effective weight after failure = %d, want 2", ew)
	}
	if got, want := picks(t, g, 6), "b a a a b a"; got != want {
		t.Errorf("sequence after failure:\n got %s\nwant %s", got, want)
	}
	if ew := g.Peers()[0].EffectiveWeight; ew != 3 {
		t.Errorf("effective weight after recovery = %d, want 3", ew)
	}
}

func TestEffectiveWeightClampsAtZero(t *testing.T) {
	clock := newFakeClock()
	g := newTestGroup(t, clock, spec("a", weight(4), maxFails(1)), spec("b"))
	sel := g.NewSelection()
	p, _ := sel.Next()
	sel.Release(p, true)
	if p.Addr != "a" {
		t.Fatalf("first pick = %s, want a", p.Addr)
	}
	if ew := g.Peers()[0].EffectiveWeight; ew != 0 {
		t.Errorf("effective weight = %d, want 0 (4 - 4/1)", ew)
	}
}
