package upstream

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// probeTable answers checks from a table of failures by address.
type probeTable struct {
	mu   sync.Mutex
	fail map[string]error
}

func (t *probeTable) set(addr string, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.fail[addr] = err
}

func (t *probeTable) probe(_ context.Context, addr string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.fail[addr]
}

func TestHealthChecksTakePeersOutAndBack(t *testing.T) {
	var logBuf bytes.Buffer
	var logMu sync.Mutex
	log := slog.New(slog.NewTextHandler(lockedWriter{&logMu, &logBuf}, nil))
	clock := newFakeClock()
	for _, m := range []Method{{}, {Kind: LeastConn}, {Kind: Hash}, {Kind: Hash, Consistent: true}, {Kind: Random}} {
		g, err := NewGroup("backend", []ServerSpec{spec("a"), spec("b"), spec("c")},
			Options{Now: clock.Now, Logger: log, Method: m})
		if err != nil {
			t.Fatal(err)
		}
		pt := &probeTable{fail: map[string]error{}}
		cs := CheckSpec{Fails: 2, Passes: 3, Probe: pt.probe}
		pt.set("b", errors.New("upstream SSL certificate verify error: (10:certificate has expired)"))
		g.CheckOnce(context.Background(), cs)
		if h := g.Peers()[1]; h.Health != "up" || h.HealthReason == "" {
			t.Fatalf("%v: b after one failed check of fails=2: %+v", m, h)
		}
		g.CheckOnce(context.Background(), cs)
		if h := g.Peers()[1]; h.Health != "unhealthy" || !strings.Contains(h.HealthReason, "expired") {
			t.Fatalf("%v: b after two failed checks: %+v", m, h)
		}
		for i := range 50 {
			if p := keyed(t, g, string(rune('a'+i))); p == "b" {
				t.Fatalf("%v: unhealthy b was picked", m)
			}
		}
		pt.set("b", nil)
		for i := range 3 {
			if h := g.Peers()[1]; h.Health != "unhealthy" {
				t.Fatalf("%v: b healthy after %d passes", m, i)
			}
			g.CheckOnce(context.Background(), cs)
		}
		if h := g.Peers()[1]; h.Health != "up" || h.HealthReason != "" {
			t.Fatalf("%v: b after three passes: %+v", m, h)
		}
	}
	logMu.Lock()
	defer logMu.Unlock()
	if !strings.Contains(logBuf.String(), "peer is unhealthy: upstream SSL certificate verify error: (10:certificate has expired)") ||
		!strings.Contains(logBuf.String(), "peer is healthy") {
		t.Errorf("log:\n%s", logBuf.String())
	}
}

func TestMandatoryChecksAdmitPeers(t *testing.T) {
	clock := newFakeClock()
	opts := Options{Now: clock.Now, Mandatory: true}
	g, err := NewGroup("backend", []ServerSpec{spec("a"), spec("b")}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.NewSelection().Next(); err != ErrNoLiveUpstreams {
		t.Fatalf("before any check: %v", err)
	}
	pt := &probeTable{fail: map[string]error{"b": errors.New("connect() failed (111: Connection refused)")}}
	g.CheckOnce(context.Background(), CheckSpec{Probe: pt.probe})
	if got := picks(t, g, 2); got != "a a" {
		t.Errorf("picks = %s", got)
	}
	// persistent: a reload keeps a checked; without it, a waits again.
	opts.Previous, opts.Persistent = g, true
	g2, _ := NewGroup("backend", []ServerSpec{spec("a"), spec("b")}, opts)
	if got := picks(t, g2, 1); got != "a" {
		t.Errorf("persistent picks = %s", got)
	}
	opts.Previous, opts.Persistent = g2, false
	g3, _ := NewGroup("backend", []ServerSpec{spec("a"), spec("b")}, opts)
	if _, err := g3.NewSelection().Next(); err != ErrNoLiveUpstreams {
		t.Errorf("mandatory reload without persistent: %v", err)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
