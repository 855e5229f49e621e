package upstream

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// pickUntil runs sessions until one gets addr and returns it still held.
func pickUntil(t *testing.T, g *Group, addr string) (*Selection, *Peer) {
	t.Helper()
	for range 20 {
		sel := g.NewSelection()
		p, err := sel.Next()
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		if p.Addr == addr {
			return sel, p
		}
		sel.Release(p, false)
	}
	t.Fatalf("%s not picked in 20 sessions", addr)
	return nil, nil
}

func TestMaxFailsTakesPeerOutForFailTimeout(t *testing.T) {
	clock := newFakeClock()
	g := newTestGroup(t, clock, spec("a"), spec("b"))
	failedAt := clock.Now()
	if got := pickOnce(t, g, true); got != "a" {
		t.Fatalf("first pick = %s, want a", got)
	}
	if until := g.Peers()[0].UnavailableUntil; !until.Equal(failedAt.Add(10 * time.Second)) {
		t.Errorf("UnavailableUntil = %v, want %v", until, failedAt.Add(10*time.Second))
	}
	if got, want := picks(t, g, 4), "b b b b"; got != want {
		t.Errorf("during fail_timeout: got %s, want %s", got, want)
	}
	// nginx keeps the peer out while now - checked <= fail_timeout.
	clock.Advance(10 * time.Second)
	if got, want := picks(t, g, 2), "b b"; got != want {
		t.Errorf("at fail_timeout: got %s, want %s", got, want)
	}
	clock.Advance(time.Second)
	// The failure cut a's effective weight to 0 (1 - 1/1); it creeps back
	// by one per pick, so a returns on the third pick, not the first.
	if got, want := picks(t, g, 4), "b b a b"; got != want {
		t.Errorf("after fail_timeout: got %s, want %s", got, want)
	}
	if ps := g.Peers()[0]; ps.Fails != 0 || !ps.UnavailableUntil.IsZero() {
		t.Errorf("after a successful trial: fails %d, until %v; want 0, zero", ps.Fails, ps.UnavailableUntil)
	}
}

func TestTrialAfterFailTimeoutIsExclusive(t *testing.T) {
	clock := newFakeClock()
	g := newTestGroup(t, clock, spec("a"), spec("b"), spec("c"))
	pickOnce(t, g, true) // a fails
	clock.Advance(11 * time.Second)

	trial, trialPeer := pickUntil(t, g, "a")
	// While the trial runs, a stays out for everyone else.
	if got := picks(t, g, 6); strings.Contains(got, "a") {
		t.Errorf("during the trial: got %s, want no a", got)
	}
	// A failed trial takes it out for another fail_timeout.
	trial.Release(trialPeer, true)
	if ps := g.Peers()[0]; ps.Fails != 2 || ps.UnavailableUntil.IsZero() {
		t.Errorf("after failed trial: fails %d, until %v; want 2 and a time", ps.Fails, ps.UnavailableUntil)
	}
	clock.Advance(5 * time.Second)
	if got := picks(t, g, 4); strings.Contains(got, "a") {
		t.Errorf("after failed trial: got %s, want no a", got)
	}
}

func TestConnectedResetsFailsAfterTrial(t *testing.T) {
	clock := newFakeClock()
	g := newTestGroup(t, clock, spec("a"), spec("b"))
	pickOnce(t, g, true)
	clock.Advance(11 * time.Second)
	sel, p := pickUntil(t, g, "a")
	sel.Connected(p)
	if f := g.Peers()[0].Fails; f != 0 {
		t.Errorf("fails after Connected on a trial = %d, want 0", f)
	}
	sel.Release(p, false)
}

func TestSuccessWithinFailTimeoutKeepsFails(t *testing.T) {
	// nginx resets fails only on a success that follows a fresh check, so
	// failures within fail_timeout add up even with successes between.
	clock := newFakeClock()
	g := newTestGroup(t, clock, spec("a", maxFails(2)), spec("b", maxFails(2)))
	if got := pickOnce(t, g, true); got != "a" {
		t.Fatalf("pick = %s, want a", got)
	}
	clock.Advance(time.Second)
	for range 4 {
		pickOnce(t, g, false)
	}
	if f := g.Peers()[0].Fails; f != 1 {
		t.Fatalf("fails after successes within fail_timeout = %d, want 1", f)
	}
	sel := g.NewSelection()
	for range sel.Tries() {
		p, err := sel.Next()
		if err != nil {
			t.Fatalf("a never picked: %v", err)
		}
		if p.Addr == "a" {
			sel.Release(p, true)
			break
		}
		sel.Release(p, false)
	}
	if ps := g.Peers()[0]; ps.Fails != 2 || ps.UnavailableUntil.IsZero() {
		t.Errorf("after second failure: fails %d, until %v; want 2 and a time", ps.Fails, ps.UnavailableUntil)
	}
}

func TestMaxFailsZeroNeverTakesPeerOut(t *testing.T) {
	g := newTestGroup(t, newFakeClock(), spec("a", maxFails(0)), spec("b", maxFails(0)))
	for range 10 {
		pickOnce(t, g, true)
	}
	for _, ps := range g.Peers() {
		if ps.Fails != 5 || !ps.UnavailableUntil.IsZero() || ps.EffectiveWeight != 1 {
			t.Errorf("%s: fails %d, until %v, effective weight %d; want 5, zero, 1",
				ps.Addr, ps.Fails, ps.UnavailableUntil, ps.EffectiveWeight)
		}
	}
	if got, want := picks(t, g, 4), "a b a b"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestSinglePeerIsNeverTakenOut(t *testing.T) {
	g := newTestGroup(t, newFakeClock(), spec("a"))
	for range 5 {
		sel := g.NewSelection()
		if sel.Tries() != 1 {
			t.Fatalf("Tries = %d, want 1", sel.Tries())
		}
		p, err := sel.Next()
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		sel.Release(p, true)
		// nginx gives a single-peer group no second try.
		if sel.Tries() != 0 {
			t.Errorf("Tries after release = %d, want 0", sel.Tries())
		}
		if _, err := sel.Next(); !errors.Is(err, ErrTriesExhausted) {
			t.Errorf("Next after the only try: %v, want ErrTriesExhausted", err)
		}
	}
	if ps := g.Peers()[0]; ps.Fails != 0 || !ps.UnavailableUntil.IsZero() || ps.Conns != 0 {
		t.Errorf("single peer status %+v, want no fails, available, no conns", ps)
	}
}

func TestSinglePeerUnavailable(t *testing.T) {
	tests := []struct {
		name string
		spec ServerSpec
		hold int // sessions holding a connection before the one checked
	}{
		{"down", spec("a", down), 0},
		{"at max_conns", spec("a", maxConns(2)), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newTestGroup(t, newFakeClock(), tt.spec)
			for range tt.hold {
				if _, err := g.NewSelection().Next(); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := g.NewSelection().Next(); !errors.Is(err, ErrNoLiveUpstreams) {
				t.Errorf("Next: %v, want ErrNoLiveUpstreams", err)
			}
		})
	}
}

func TestAllPeersOutGivesNoLiveUpstreams(t *testing.T) {
	clock := newFakeClock()
	g := newTestGroup(t, clock, spec("a"), spec("b"))
	pickOnce(t, g, true)
	pickOnce(t, g, true)
	for range 3 {
		if _, err := g.NewSelection().Next(); !errors.Is(err, ErrNoLiveUpstreams) {
			t.Fatalf("Next: %v, want ErrNoLiveUpstreams", err)
		}
	}
	// nginx 1.22 no longer resets fails when everything is out: the peers
	// stay out until fail_timeout has passed.
	for _, ps := range g.Peers() {
		if ps.Fails != 1 || ps.UnavailableUntil.IsZero() {
			t.Errorf("%s after no live upstreams: fails %d, until %v", ps.Addr, ps.Fails, ps.UnavailableUntil)
		}
	}
	clock.Advance(11 * time.Second)
	if got, want := picks(t, g, 4), "b b a b"; got != want {
		t.Errorf("after fail_timeout: got %s, want %s", got, want)
	}
}

func TestTemporarilyDisabledIsLogged(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	g, err := NewGroup("backend", []ServerSpec{
		DefaultServerSpec("one.example:80", "10.0.0.1:80"),
		spec("b", maxFails(2)),
	}, Options{Now: newFakeClock().Now, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	pickOnce(t, g, true) // 10.0.0.1:80, max_fails 1
	out := buf.String()
	for _, want := range []string{"level=WARN", `msg="upstream server temporarily disabled"`, "upstream=10.0.0.1:80", "group=backend"} {
		if !strings.Contains(out, want) {
			t.Errorf("log %q lacks %s", out, want)
		}
	}
	// b needs two failures: the first is not logged.
	buf.Reset()
	pickOnce(t, g, true)
	if buf.Len() != 0 {
		t.Errorf("first of two allowed failures logged: %q", buf.String())
	}
}
