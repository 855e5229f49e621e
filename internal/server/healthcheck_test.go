package server

import (
	"crypto/tls"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/testpki"
	"github.com/straitproxy/strait/internal/upstream"
)

// swappableUpstream is a TLS echo upstream whose certificate the test
// replaces while it runs.
type swappableUpstream struct {
	*tlsUpstream
	cert atomic.Pointer[tls.Certificate]
}

func startSwappable(t *testing.T, leaf *testpki.Leaf) *swappableUpstream {
	u := &swappableUpstream{}
	u.set(leaf)
	u.tlsUpstream = startTLSUpstream(t, &tls.Config{
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return u.cert.Load(), nil },
		// No tickets: a session resumed from a ticket would keep
		// showing the certificate the session began with.
		SessionTicketsDisabled: true,
	})
	return u
}

func (u *swappableUpstream) set(leaf *testpki.Leaf) {
	c := leaf.TLSCertificate()
	u.cert.Store(&c)
}

// peerHealth returns the status of addr in the running configuration's
// group g.
func peerHealth(t *testing.T, ts *testServer, g, addr string) upstream.PeerStatus {
	t.Helper()
	for _, grp := range ts.cur.Load().groups {
		if grp.Name() != g {
			continue
		}
		for _, p := range grp.Peers() {
			if p.Addr == addr {
				return p
			}
		}
	}
	t.Fatalf("no peer %s in %s", addr, g)
	return upstream.PeerStatus{}
}

// TestHealthChecksFollowUpstreamCertificates runs three TLS upstreams
// behind a health-checked group while sessions flow: one serves an
// expired certificate from the start and never gets a session
// (mandatory); another starts serving an expired one and is taken out
// after `fails` checks, with the reason in the error log and the status,
// then comes back after `passes` good checks once fixed. No client
// session fails. max_fails=0 leaves the health checks alone in judging
// the peers: sessions that reach b between its change and the check that
// takes it out fail over to the next peer without counting.
func TestHealthChecksFollowUpstreamCertificates(t *testing.T) {
	root := testpki.NewRoot(t, testpki.Spec{CommonName: "strait test root"})
	good := root.Issue(t, testpki.Spec{CommonName: "upstream.test", DNSNames: []string{"upstream.test"}})
	expired := root.Issue(t, testpki.Spec{CommonName: "upstream.test", DNSNames: []string{"upstream.test"},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)})
	a, b, c := startSwappable(t, good), startSwappable(t, good), startSwappable(t, expired)

	dir := t.TempDir()
	ca := testpki.WriteCerts(t, dir, "ca.crt", root.Cert)
	sock := filepath.Join(dir, "s.sock")
	cfg := mustConfig(t, dir, `stream {
    upstream backend {
        server `+a.addr+` max_fails=0;
        server `+b.addr+` max_fails=0;
        server `+c.addr+` max_fails=0;
    }
    server {
        listen unix:`+sock+`;
        proxy_pass backend;
        proxy_ssl on;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate `+ca+`;
        proxy_ssl_name upstream.test;
        health_check interval=1h fails=2 passes=2 mandatory;
    }
}`)
	ticks := make(chan time.Time)
	ts := startServerWith(t, cfg, Options{HealthTicks: ticks})
	checks := func(addr string) uint64 { return peerHealth(t, ts, "backend", addr).HealthChecks }
	// round runs one more round of checks and waits for it to end.
	round := func() {
		t.Helper()
		n := checks(a.addr)
		select {
		case ticks <- time.Time{}:
		case <-time.After(10 * time.Second):
			t.Fatal("the health checks stopped")
		}
		waitFor(t, "a round of health checks", func() bool {
			return checks(a.addr) > n && checks(b.addr) > n && checks(c.addr) > n
		})
	}

	// The first round runs at start; mandatory with passes=2 admits a
	// and b after the second. c never passes.
	waitFor(t, "the first round", func() bool {
		return checks(a.addr) >= 1 && checks(b.addr) >= 1 && checks(c.addr) >= 1
	})
	if h := peerHealth(t, ts, "backend", a.addr).Health; h != "checking" {
		t.Fatalf("a after one round: %s", h)
	}
	round()
	for _, u := range []*swappableUpstream{a, b} {
		if h := peerHealth(t, ts, "backend", u.addr); h.Health != "up" {
			t.Fatalf("%s after two rounds: %+v", u.addr, h)
		}
	}
	if h := peerHealth(t, ts, "backend", c.addr); h.Health != "unhealthy" || !strings.Contains(h.HealthReason, "(10:certificate has expired)") {
		t.Fatalf("c: %+v", h)
	}

	load := startLoad(sock)
	defer load.finish(t)
	load.more(t, 50)

	b.set(expired)
	round()
	if h := peerHealth(t, ts, "backend", b.addr); h.Health != "up" {
		t.Errorf("b out after one failed check of fails=2: %+v", h)
	}
	round()
	hb := peerHealth(t, ts, "backend", b.addr)
	if hb.Health != "unhealthy" || hb.HealthReason != "upstream SSL certificate verify error: (10:certificate has expired)" {
		t.Errorf("b after two failed checks: %+v", hb)
	}
	snap := ts.MetricsSnapshot()
	if p := peerOf(t, snap, "backend", b.addr); p.Up || p.Health != "unhealthy" || !strings.Contains(p.HealthReason, "expired") {
		t.Errorf("status of b: %+v", p)
	}
	if !strings.Contains(ts.log.String(), "peer is unhealthy: upstream SSL certificate verify error: (10:certificate has expired) while checking health, upstream: \""+b.addr+"\"") {
		t.Errorf("error log:\n%s", ts.log.String())
	}
	selected := peerHealth(t, ts, "backend", b.addr).Selections
	load.more(t, 100)
	if now := peerHealth(t, ts, "backend", b.addr).Selections; now != selected {
		t.Errorf("unhealthy b got %d sessions", now-selected)
	}

	b.set(good)
	round()
	if h := peerHealth(t, ts, "backend", b.addr); h.Health != "unhealthy" {
		t.Errorf("b back after one pass of passes=2: %+v", h)
	}
	round()
	if h := peerHealth(t, ts, "backend", b.addr); h.Health != "up" || h.HealthReason != "" {
		t.Errorf("b after two passes: %+v", h)
	}
	load.more(t, 50)
	load.finish(t)
	if n := peerHealth(t, ts, "backend", c.addr).Selections; n != 0 {
		t.Errorf("c, never healthy, got %d sessions", n)
	}
	if n := peerHealth(t, ts, "backend", b.addr).Selections; n == selected {
		t.Errorf("b, healthy again, got no session")
	}
}
