package upstream

import (
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestNewGroupRejects(t *testing.T) {
	tests := []struct {
		name  string
		specs []ServerSpec
		want  string
	}{
		{"no servers", nil, `no servers in upstream "backend"`},
		{"only backups", []ServerSpec{spec("x", backup)}, `no servers in upstream "backend"`},
		{"no name", []ServerSpec{{Addrs: []string{"10.0.0.1:1"}}}, "has no name"},
		{"no addresses", []ServerSpec{{Name: "a"}}, `"a" has no addresses`},
		{"empty address", []ServerSpec{{Name: "a", Addrs: []string{""}}}, "empty address"},
		{"negative weight", []ServerSpec{spec("a", weight(-1))}, "invalid weight -1"},
		{"negative max_fails", []ServerSpec{spec("a", maxFails(-1))}, "invalid max_fails -1"},
		{"negative max_conns", []ServerSpec{spec("a", maxConns(-1))}, "invalid max_conns -1"},
		{"negative fail_timeout", []ServerSpec{spec("a", func(s *ServerSpec) { s.FailTimeout = -time.Second })}, "invalid fail_timeout -1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewGroup("backend", tt.specs, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestPeersSnapshot(t *testing.T) {
	clock := newFakeClock()
	zeroWeight := DefaultServerSpec("x.example:1", "10.0.0.9:1")
	zeroWeight.Weight = 0
	zeroWeight.Backup = true
	g := newTestGroup(t, clock, zeroWeight, spec("a", weight(3), maxConns(7)), spec("b", down))
	if g.Name() != "backend" {
		t.Errorf("Name = %q", g.Name())
	}
	sel := g.NewSelection()
	if _, err := sel.Next(); err != nil {
		t.Fatal(err)
	}
	want := []PeerStatus{
		{Name: "a", Addr: "a", Weight: 3, EffectiveWeight: 3, MaxFails: 1, FailTimeout: 10 * time.Second, MaxConns: 7, Conns: 1, Selections: 1, Health: "unchecked", Origin: "config"},
		{Name: "b", Addr: "b", Weight: 1, EffectiveWeight: 1, MaxFails: 1, FailTimeout: 10 * time.Second, Down: true, Health: "unchecked", Origin: "config"},
		{Name: "x.example:1", Addr: "10.0.0.9:1", Weight: 1, EffectiveWeight: 1, MaxFails: 1, FailTimeout: 10 * time.Second, Backup: true, Health: "unchecked", Origin: "config"},
	}
	got := g.Peers()
	if len(got) != len(want) {
		t.Fatalf("Peers = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("peer %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func TestConcurrentSessions(t *testing.T) {
	clock := newFakeClock()
	g := newTestGroup(t, clock,
		spec("a", weight(3), maxConns(4)), spec("b", maxFails(3)), spec("c", maxConns(2)),
		spec("x", backup))
	const workers, sessions = 16, 300
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for range sessions {
				sel := g.NewSelection()
				for range sel.Tries() {
					p, err := sel.Next()
					if errors.Is(err, ErrNoLiveUpstreams) {
						break
					}
					if err != nil {
						t.Errorf("Next: %v", err)
						return
					}
					failed := rng.IntN(4) == 0
					if !failed {
						sel.Connected(p)
					}
					sel.Release(p, failed)
					if !failed {
						break
					}
				}
				if rng.IntN(50) == 0 {
					clock.Advance(time.Second)
					_ = g.Peers()
				}
			}
		})
	}
	wg.Wait()
	for _, ps := range g.Peers() {
		if ps.Conns != 0 {
			t.Errorf("%s: %d connections left after every session released", ps.Addr, ps.Conns)
		}
		if ps.EffectiveWeight < 0 || ps.EffectiveWeight > ps.Weight {
			t.Errorf("%s: effective weight %d outside [0, %d]", ps.Addr, ps.EffectiveWeight, ps.Weight)
		}
	}
}

func TestConcurrentMaxConnsNeverExceeded(t *testing.T) {
	g := newTestGroup(t, newFakeClock(), spec("a", maxConns(3)), spec("b", maxConns(2)))
	const workers, rounds = 12, 20
	for round := range rounds {
		// Every worker picks and holds at once; exactly the five slots
		// may be handed out, then all are released for the next round.
		type held struct {
			sel *Selection
			p   *Peer
		}
		results := make([]held, workers)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				sel := g.NewSelection()
				if p, err := sel.Next(); err == nil {
					results[w] = held{sel, p}
				} else if !errors.Is(err, ErrNoLiveUpstreams) {
					t.Errorf("Next: %v", err)
				}
			})
		}
		wg.Wait()
		count := map[string]int{}
		for _, h := range results {
			if h.p != nil {
				count[h.p.Addr]++
			}
		}
		if count["a"] != 3 || count["b"] != 2 {
			t.Fatalf("round %d: holders %v, want a=3 b=2", round, count)
		}
		for _, h := range results {
			if h.p != nil {
				h.sel.Release(h.p, false)
			}
		}
	}
}
