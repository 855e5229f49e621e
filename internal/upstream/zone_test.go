package upstream

import "testing"

func TestReloadKeepsStateOfPeersThatStay(t *testing.T) {
	clock := newFakeClock()
	old := newTestGroup(t, clock, spec("a"), spec("b"), spec("gone"))
	held := old.NewSelection()
	a, _ := held.Next() // a, held across the reload
	sel := old.NewSelection()
	for {
		p, err := sel.Next()
		if err != nil {
			t.Fatal(err)
		}
		if p.Addr == "b" {
			sel.Release(p, true) // b fails: out for fail_timeout
			break
		}
		sel.Release(p, false)
	}

	next, err := NewGroup("backend", []ServerSpec{spec("a"), spec("b"), spec("c")},
		Options{Now: clock.Now, Previous: old})
	if err != nil {
		t.Fatal(err)
	}
	st := map[string]PeerStatus{}
	for _, p := range next.Peers() {
		st[p.Addr] = p
	}
	if st["a"].Conns != 1 || st["b"].Fails != 1 || st["b"].UnavailableUntil.IsZero() || st["c"] != (PeerStatus{
		Name: "c", Addr: "c", Origin: "config", Weight: 1, EffectiveWeight: 1, MaxFails: 1, FailTimeout: DefaultFailTimeout, Health: "unchecked"}) {
		t.Errorf("after reload: %+v", st)
	}
	// b stays out in the new group; the old session's release of a
	// counts in it.
	if got := picks(t, next, 4); got != "a c a c" && got != "c a c a" {
		t.Errorf("picks after reload = %s", got)
	}
	held.Release(a, false)
	if p := next.Peers()[0]; p.Conns != 0 {
		t.Errorf("a's conns after the old session ended = %d", p.Conns)
	}

	// A peer removed and added back starts afresh.
	again, err := NewGroup("backend", []ServerSpec{spec("a"), spec("gone")}, Options{Now: clock.Now, Previous: next})
	if err != nil {
		t.Fatal(err)
	}
	if p := again.Peers()[1]; p.Selections != 0 {
		t.Errorf("gone came back with %+v", p)
	}
	// Another name does not inherit.
	other, _ := NewGroup("other", []ServerSpec{spec("a")}, Options{Now: clock.Now, Previous: next})
	if p := other.Peers()[0]; p.Selections != 0 {
		t.Errorf("other group inherited %+v", p)
	}
}
