package server

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/errlog"
	"github.com/straitproxy/strait/internal/metrics"
	"github.com/straitproxy/strait/internal/straittest"
	"github.com/straitproxy/strait/internal/testpki"
)

// clientCertUpstream is a TLS echo upstream requiring a client
// certificate, counting the handshakes each client certificate made.
type clientCertUpstream struct {
	addr string
	mu   sync.Mutex
	seen map[string]int // client certificate serial (hex) -> handshakes
}

func (u *clientCertUpstream) handshakes(serial string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.seen[serial]
}

func startClientCertUpstream(t *testing.T, leaf *testpki.Leaf, clientCAs ...*x509.Certificate) *clientCertUpstream {
	t.Helper()
	u := &clientCertUpstream{seen: map[string]int{}}
	pool := x509.NewCertPool()
	for _, c := range clientCAs {
		pool.AddCert(c)
	}
	cfg := &tls.Config{
		Certificates: []tls.Certificate{leaf.TLSCertificate()},
		ClientAuth:   tls.RequireAndVerifyClientCert, ClientCAs: pool,
		// Runs on resumed sessions too, with the certificate the
		// session was made with.
		VerifyConnection: func(cs tls.ConnectionState) error {
			u.mu.Lock()
			u.seen[fmt.Sprintf("%x", cs.PeerCertificates[0].SerialNumber)]++
			u.mu.Unlock()
			return nil
		},
	}
	u.addr = straittest.ServeTCP(t, func(c net.Conn) {
		tc := tls.Server(c, cfg)
		if tc.Handshake() == nil {
			straittest.Echo(tc)
		}
	})
	return u
}

func serialOf(l *testpki.Leaf) string { return fmt.Sprintf("%x", l.Cert.SerialNumber) }

// proxySSLFiles are the contents of the proxy_ssl files for client.
func proxySSLFiles(t *testing.T, client *testpki.Leaf, cas []*testpki.CA) map[string][]byte {
	files := map[string][]byte{
		"client.crt": testpki.PEMCerts(client.Chain()...),
		"client.key": testpki.PEMKey(t, client.Key, testpki.PKCS8, ""),
	}
	for _, ca := range cas {
		files["ca.crt"] = append(files["ca.crt"], testpki.PEMCerts(ca.Cert)...)
		files["crl.pem"] = append(files["crl.pem"], ca.CRL(t, testpki.CRLSpec{})...)
	}
	return files
}

// loadLoop runs sessions through addr from a few workers until stopped
// (or a bound is reached), counting the ones that failed.
type loadLoop struct {
	stop     atomic.Bool
	ok, fail atomic.Int64
	firstErr atomic.Value
	wg       sync.WaitGroup
	once     sync.Once
}

func startLoad(addr string) *loadLoop {
	return startLoadWith(func(w, i int) error {
		c, err := net.Dial("unix", addr)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		return echoOnce(c, fmt.Sprintf("worker %d session %d", w, i))
	})
}

// startLoadWith runs session(worker, i) from a few workers until stopped
// (or a bound is reached), counting the sessions that failed.
func startLoadWith(session func(w, i int) error) *loadLoop {
	l := &loadLoop{}
	for w := range 4 {
		l.wg.Go(func() {
			for i := 0; i < 20000 && !l.stop.Load(); i++ {
				if err := session(w, i); err != nil {
					l.fail.Add(1)
					l.firstErr.CompareAndSwap(nil, err)
					continue
				}
				l.ok.Add(1)
			}
		})
	}
	return l
}

// more waits until n more sessions have ended, so that each phase of a
// test runs under load.
func (l *loadLoop) more(t *testing.T, n int64) {
	t.Helper()
	base := l.ok.Load() + l.fail.Load()
	waitFor(t, fmt.Sprintf("%d more sessions", n), func() bool { return l.ok.Load()+l.fail.Load() >= base+n })
}

// finish stops the loop and reports failed sessions; it may be called
// again (deferred) to no effect.
func (l *loadLoop) finish(t *testing.T) {
	t.Helper()
	l.once.Do(func() {
		l.stop.Store(true)
		l.wg.Wait()
		t.Logf("%d sessions ran", l.ok.Load()+l.fail.Load())
		if n := l.fail.Load(); n != 0 {
			t.Errorf("%d of %d sessions failed under rotation; first: %v", n, n+l.ok.Load(), l.firstErr.Load())
		}
	})
}

// startWatchedServer starts cfg with the proxy_ssl file watcher driven
// by ticks.
func startWatchedServer(t *testing.T, cfg *config.Config, ticks <-chan time.Time) *testServer {
	t.Helper()
	buf := &straittest.LockedBuffer{}
	logger := slog.New(errlog.NewHandler(buf, errlog.LevelInfo, errlog.Options{PID: 1}))
	srv, err := New(cfg, Options{Logger: logger, PID: 1, TLSPollTicks: ticks})
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{Server: srv, log: buf, done: make(chan error, 1)}
	go func() { ts.done <- srv.Serve() }()
	t.Cleanup(func() {
		srv.Close()
		<-ts.done
		if t.Failed() {
			t.Logf("error log:\n%s", buf.String())
		}
	})
	return ts
}

// pollUntil ticks the watcher until cond holds, at most 20 times. A send
// returns once the watcher has taken the tick, so the poll of the tick
// before has finished when cond is checked.
func pollUntil(t *testing.T, ticks chan<- time.Time, what string, cond func() bool) {
	t.Helper()
	for range 20 {
		select {
		case ticks <- time.Time{}:
		case <-time.After(10 * time.Second):
			t.Fatalf("the watcher stopped polling, waiting for %s", what)
		}
		if cond() {
			return
		}
	}
	t.Fatalf("%s did not happen within 20 polls", what)
}

// scrape returns the value of the series of name whose labels include
// every fragment (`role="client"`), from GET /metrics over snap.
func scrape(t *testing.T, source func() metrics.Snapshot, name string, fragments ...string) float64 {
	t.Helper()
	svc := metrics.NewService(metrics.Options{Start: time.Now(), Source: source})
	rec := httptest.NewRecorder()
	svc.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for line := range strings.SplitSeq(rec.Body.String(), "\n") {
		if !strings.HasPrefix(line, name+"{") && !strings.HasPrefix(line, name+" ") {
			continue
		}
		match := true
		for _, f := range fragments {
			match = match && strings.Contains(line, f)
		}
		if !match {
			continue
		}
		var v float64
		if _, err := fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		return v
	}
	t.Fatalf("no %s%v in:\n%s", name, fragments, rec.Body.String())
	return 0
}
