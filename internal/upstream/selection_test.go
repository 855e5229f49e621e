package upstream

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// trySession runs one session that fails on every peer it gets, the way a
// proxy with proxy_next_upstream walks a group, and returns the peers tried
// and the error that ended it.
func trySession(t *testing.T, sel *Selection) (string, error) {
	t.Helper()
	var tried []string
	for range 100 {
		p, err := sel.Next()
		if err != nil {
			return strings.Join(tried, " "), err
		}
		tried = append(tried, p.Addr)
		sel.Release(p, true)
	}
	t.Fatal("session did not end in 100 tries")
	return "", nil
}

func TestSessionTriesEachPeerOnce(t *testing.T) {
	tests := []struct {
		name      string
		specs     []ServerSpec
		tries     int
		wantTried string
		wantErr   error
	}{
		{"primaries", []ServerSpec{spec("a", maxFails(0)), spec("b", maxFails(0)), spec("c", maxFails(0))},
			3, "a b c", ErrTriesExhausted},
		{"weighted", []ServerSpec{spec("a", weight(5), maxFails(0)), spec("b", maxFails(0))},
			2, "a b", ErrTriesExhausted},
		{"then backups", []ServerSpec{spec("a"), spec("x", backup), spec("b"), spec("y", backup)},
			4, "a b x y", ErrTriesExhausted},
		{"down does not count in tries", []ServerSpec{spec("a"), spec("b", down), spec("c")},
			2, "a c", ErrTriesExhausted},
		{"a down peer ends the session", []ServerSpec{spec("a"), spec("b", down)},
			1, "a", ErrTriesExhausted},
		{"nor a down backup", []ServerSpec{spec("a"), spec("b", down), spec("x", backup), spec("y", backup, down)},
			2, "a x", ErrTriesExhausted},
		{"primaries all down", []ServerSpec{spec("a", down), spec("b", down), spec("x", backup)},
			1, "x", ErrTriesExhausted},
		// No tries at all, yet the first attempt is made, as nginx's is.
		{"every peer down", []ServerSpec{spec("a", down), spec("b", down)},
			0, "", ErrNoLiveUpstreams},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newTestGroup(t, newFakeClock(), tt.specs...)
			sel := g.NewSelection()
			if sel.Tries() != tt.tries {
				t.Errorf("Tries = %d, want %d", sel.Tries(), tt.tries)
			}
			tried, err := trySession(t, sel)
			if tried != tt.wantTried || !errors.Is(err, tt.wantErr) {
				t.Errorf("tried %q ending in %v; want %q ending in %v", tried, err, tt.wantTried, tt.wantErr)
			}
		})
	}
}

func TestTriedIsPerSelection(t *testing.T) {
	g := newTestGroup(t, newFakeClock(), spec("a", maxFails(0)), spec("b", maxFails(0)))
	s1, s2 := g.NewSelection(), g.NewSelection()
	p1, _ := s1.Next()
	p2, _ := s2.Next()
	s1.Release(p1, false)
	s2.Release(p2, false)
	q1, _ := s1.Next()
	q2, _ := s2.Next()
	if p1.Addr == q1.Addr || p2.Addr == q2.Addr {
		t.Errorf("a session got the same peer twice: %s %s / %s %s", p1.Addr, q1.Addr, p2.Addr, q2.Addr)
	}
}

func TestLimitTries(t *testing.T) {
	specs := []ServerSpec{spec("a"), spec("b"), spec("c"), spec("d")}
	for _, tt := range []struct{ limit, want int }{{0, 4}, {2, 2}, {9, 4}} {
		sel := newTestGroup(t, newFakeClock(), specs...).NewSelection()
		sel.LimitTries(tt.limit)
		if sel.Tries() != tt.want {
			t.Errorf("LimitTries(%d): Tries = %d, want %d", tt.limit, sel.Tries(), tt.want)
		}
		if tried, _ := trySession(t, sel); strings.Count(tried, " ")+1 != tt.want {
			t.Errorf("LimitTries(%d): tried %q, want %d peers", tt.limit, tried, tt.want)
		}
	}
}

func TestBackupOnlyWhenPrimariesOut(t *testing.T) {
	clock := newFakeClock()
	g := newTestGroup(t, clock, spec("a"), spec("b"), spec("x", backup))
	if got := picks(t, g, 6); strings.Contains(got, "x") {
		t.Fatalf("backup used while primaries were up: %s", got)
	}
	pickOnce(t, g, true)
	if got := picks(t, g, 3); got != "b b b" {
		t.Fatalf("with one primary out: got %s, want b b b", got)
	}
	pickOnce(t, g, true)
	if got := picks(t, g, 3); got != "x x x" {
		t.Fatalf("with both primaries out: got %s, want x x x", got)
	}
	clock.Advance(11 * time.Second)
	if got := picks(t, g, 4); strings.Contains(got, "x") {
		t.Errorf("backup used after primaries came back: %s", got)
	}
}

func TestBackupAllOutGivesNoLiveUpstreams(t *testing.T) {
	g := newTestGroup(t, newFakeClock(), spec("a"), spec("x", backup), spec("y", backup, down))
	pickOnce(t, g, true) // a
	pickOnce(t, g, true) // x
	_, err := g.NewSelection().Next()
	if !errors.Is(err, ErrNoLiveUpstreams) {
		t.Errorf("Next: %v, want ErrNoLiveUpstreams", err)
	}
}

func TestMaxConns(t *testing.T) {
	g := newTestGroup(t, newFakeClock(), spec("a", maxConns(1)), spec("b", maxConns(2)))
	var sels []*Selection
	var peers []*Peer
	var got []string
	for range 3 {
		sel := g.NewSelection()
		p, err := sel.Next()
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		sels, peers = append(sels, sel), append(peers, p)
		got = append(got, p.Addr)
	}
	if strings.Count(strings.Join(got, " "), "a") != 1 {
		t.Errorf("holding sessions got %v, want a once", got)
	}
	if _, err := g.NewSelection().Next(); !errors.Is(err, ErrNoLiveUpstreams) {
		t.Fatalf("Next with every peer full: %v, want ErrNoLiveUpstreams", err)
	}
	var conns []int
	for _, ps := range g.Peers() {
		conns = append(conns, ps.Conns)
	}
	if conns[0] != 1 || conns[1] != 2 {
		t.Errorf("conns = %v, want [1 2]", conns)
	}
	// Releasing a's holder frees its slot, successful or not.
	for i, sel := range sels {
		if got[i] == "a" {
			sel.Release(peers[i], false)
		}
	}
	sel := g.NewSelection()
	if p, err := sel.Next(); err != nil || p.Addr != "a" {
		t.Errorf("after release: %v %v, want a", p, err)
	}
}

func TestReleaseOnlyHeldPeers(t *testing.T) {
	g := newTestGroup(t, newFakeClock(), spec("a"), spec("b"))
	sel, other := g.NewSelection(), g.NewSelection()
	p, _ := sel.Next()
	other.Release(p, true) // not other's peer
	sel.Release(p, false)
	sel.Release(p, true) // already released
	for _, ps := range g.Peers() {
		if ps.Conns != 0 || ps.Fails != 0 {
			t.Errorf("%s: conns %d fails %d, want 0 0", ps.Addr, ps.Conns, ps.Fails)
		}
	}
	if sel.Tries() != 1 {
		t.Errorf("Tries = %d, want 1", sel.Tries())
	}
}
