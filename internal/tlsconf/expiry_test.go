package tlsconf

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/testpki"
)

func TestExpiresIn(t *testing.T) {
	day := 24 * time.Hour
	for _, tt := range []struct {
		left time.Duration
		want string
	}{
		{30 * day, "expires in 30 days"},
		{10*day + time.Hour, "expires in 10 days"},
		{day, "expires in 1 day"},
		{time.Hour, "expires in less than a day"},
		{0, "has expired today"},
		{-time.Hour, "has expired today"},
		{-day - time.Hour, "expired 1 day ago"},
		{-3 * day, "expired 3 days ago"},
	} {
		if got := expiresIn(tt.left); got != tt.want {
			t.Errorf("expiresIn(%v) = %q, want %q", tt.left, got, tt.want)
		}
	}
}

// TestExpiryWarnings lists the certificates within the window and the
// expired ones, each naming its file, and the CRLs past their nextUpdate.
func TestExpiryWarnings(t *testing.T) {
	now := time.Now()
	day := 24 * time.Hour
	root := testpki.NewRoot(t, testpki.Spec{CommonName: "long root", NotAfter: now.Add(400 * day)})
	soon := root.Issue(t, testpki.Spec{CommonName: "soon", Client: true, NotAfter: now.Add(10*day + time.Hour)})
	oldRoot := testpki.NewRoot(t, testpki.Spec{CommonName: "old root", NotBefore: now.Add(-90 * day), NotAfter: now.Add(-2*day - time.Hour)})
	dir := t.TempDir()
	s := verifying(testpki.WriteCerts(t, dir, "ca.pem", root.Cert, oldRoot.Cert), 1)
	s.Certificate, s.CertificateKey = testpki.WriteLeaf(t, dir, "client", soon)
	s.CRL = testpki.WriteFile(t, dir, "crl.pem", append(root.CRL(t, testpki.CRLSpec{}),
		oldRoot.CRL(t, testpki.CRLSpec{ThisUpdate: now.Add(-5 * day), NextUpdate: now.Add(-day - time.Hour)})...))
	c := newClient(t, s, "backend")
	got := strings.Join(c.ExpiryWarnings(now), "\n")
	want := strings.Join([]string{
		`certificate "CN=soon,O=strait test" from "` + s.Certificate + `" expires in 10 days`,
		`certificate "CN=old root,O=strait test" from "` + s.TrustedCertificate + `" expired 2 days ago`,
		`CRL of "CN=old root,O=strait test" from "` + s.CRL + `" expired 1 day ago`,
	}, "\n")
	if got != want {
		t.Fatalf("warnings:\n%s\nwant:\n%s", got, want)
	}
	if w := c.ExpiryWarnings(now.Add(-400 * day)); len(w) != 0 {
		t.Fatalf("long before: %q", w)
	}
}

// fakeClock is a clock a test moves while a Watcher reads it.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// TestExpiryWarnedOnceADay runs a Watcher on an injected clock and
// ticker: the warning is logged at start, not again within the day, and
// again (counting down) a day later; a second watcher sharing the log,
// as after a reload, does not repeat it.
func TestExpiryWarnedOnceADay(t *testing.T) {
	start := time.Now().Truncate(time.Second) // certificates keep whole seconds
	day := 24 * time.Hour
	root := testpki.NewRoot(t, testpki.Spec{NotAfter: start.Add(400 * day)})
	leaf := root.Issue(t, testpki.Spec{CommonName: "expiring", Client: true, NotAfter: start.Add(10*day + time.Hour)})
	dir := t.TempDir()
	s := config.ProxySSL{Enabled: true}
	s.Certificate, s.CertificateKey = testpki.WriteLeaf(t, dir, "client", leaf)
	c := newClient(t, s, "backend")
	clock := &fakeClock{t: start}
	log, buf := testLogger()
	expiry := NewExpiryLog()
	ticks := make(chan time.Time)
	opts := WatchOptions{Ticks: ticks, Now: clock.now, Logger: log, Expiry: expiry}
	stop := NewWatcher([]*Client{c}, nil, opts).Start()
	defer stop()
	// Each send returns once the loop has taken the tick, so after two
	// sends the poll of the first has finished.
	tick := func() {
		ticks <- time.Time{}
		ticks <- time.Time{}
	}
	warning := func(days string) string {
		return `[warn] 1#1: certificate "CN=expiring,O=strait test" from "` + s.Certificate + `" expires in ` + days + " days"
	}
	tick()
	clock.set(start.Add(23 * time.Hour))
	tick()
	if n := strings.Count(buf.String(), warning("10")); n != 1 {
		t.Fatalf("warned %d times on the first day:\n%s", n, buf.String())
	}
	clock.set(start.Add(day + time.Hour))
	tick()
	tick()
	if n := strings.Count(buf.String(), warning("9")); n != 1 {
		t.Fatalf("warned %d times on the second day:\n%s", n, buf.String())
	}
	stop()
	stop2 := NewWatcher([]*Client{c}, nil, opts).Start()
	tick()
	stop2()
	if n := strings.Count(buf.String(), "[warn]"); n != 2 {
		t.Fatalf("%d warnings after a second watcher on the same day:\n%s", n, buf.String())
	}
}
