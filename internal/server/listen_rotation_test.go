package server

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/straittest"
	"github.com/straitproxy/strait/internal/testpki"
)

// servedCerts counts the handshakes in which strait served each
// certificate, as its TLS clients saw them.
type servedCerts struct {
	mu   sync.Mutex
	seen map[string]int // serial (hex) -> handshakes
}

func (s *servedCerts) handshakes(serial string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen[serial]
}

// config returns a client trusting pool that records what it is served.
// A resumed session reports the certificate it was made with.
func (s *servedCerts) config(pool *x509.CertPool, cache tls.ClientSessionCache) *tls.Config {
	return &tls.Config{RootCAs: pool, ServerName: "strait.test", ClientSessionCache: cache,
		VerifyConnection: func(cs tls.ConnectionState) error {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.seen == nil {
				s.seen = map[string]int{}
			}
			s.seen[fmt.Sprintf("%x", cs.PeerCertificates[0].SerialNumber)]++
			return nil
		}}
}

// tlsEcho runs one TLS session through addr: handshake, one echo, close.
// It returns the serial of the certificate served.
func tlsEcho(addr string, cfg *tls.Config, msg string) (string, error) {
	raw, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return "", err
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(10 * time.Second))
	tc := tls.Client(raw, cfg)
	if err := tc.Handshake(); err != nil {
		return "", err
	}
	serial := fmt.Sprintf("%x", tc.ConnectionState().PeerCertificates[0].SerialNumber)
	return serial, echoOnce(tc, msg)
}

func serverFiles(t *testing.T, l *testpki.Leaf) map[string][]byte {
	return map[string][]byte{
		"server.crt": testpki.PEMCerts(l.Chain()...),
		"server.key": testpki.PEMKey(t, l.Key, testpki.PKCS8, ""),
	}
}

// TestListenSSLRotationUnderLoad replaces the certificate and key of a
// listen ... ssl under a running strait while TLS clients keep
// connecting, in each way deployments replace files. No session may
// fail; handshakes after the rotation get the new certificate, a
// session cached before it included; a key that does not match is
// refused and logged once while the previous pair keeps serving; the
// metrics count the outcomes on the client side and show the served
// certificate and the client CA.
func TestListenSSLRotationUnderLoad(t *testing.T) {
	root := testpki.NewRoot(t, testpki.Spec{CommonName: "strait test root"})
	clientCA := testpki.NewRoot(t, testpki.Spec{CommonName: "client ca"})
	pool := x509.NewCertPool()
	pool.AddCert(root.Cert)
	issue := func(name string) *testpki.Leaf {
		return root.Issue(t, testpki.Spec{CommonName: name, DNSNames: []string{"strait.test"}})
	}
	for _, mode := range testpki.ReplaceModes() {
		t.Run(mode.String(), func(t *testing.T) {
			backend := straittest.ServeTCP(t, straittest.Echo)
			files := testpki.NewFileDir(t, mode)
			first := issue("first")
			files.Write(serverFiles(t, first))
			caFile := testpki.WriteCerts(t, t.TempDir(), "client-ca.crt", clientCA.Cert)
			ln, port := listenPort(t)
			addr := "127.0.0.1:" + port
			cfg := mustConfig(t, t.TempDir(), fmt.Sprintf(`
stream {
    server {
        listen 127.0.0.1:%s ssl;
        ssl_certificate %s;
        ssl_certificate_key %s;
        ssl_client_certificate %s;
        ssl_verify_client optional;
        proxy_pass %s;
    }
}`, port, files.Path("server.crt"), files.Path("server.key"), caFile, backend))
			ticks := make(chan time.Time)
			ts := startServerWith(t, cfg, Options{Inherited: []net.Listener{ln}, TLSPollTicks: ticks})
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("error log:\n%s", ts.log.String())
				}
			})
			reloads := func() (ok, failed uint64) {
				r := ts.MetricsSnapshot().TLS.Reloads
				return r.ClientOK, r.ClientError
			}
			var served servedCerts

			// A session that spans every rotation keeps its handshake.
			long, err := tls.Dial("tcp", addr, served.config(pool, nil))
			if err != nil {
				t.Fatal(err)
			}
			defer long.Close()
			if err := echoOnce(long, "before"); err != nil {
				t.Fatal(err)
			}
			// Half the workers resume sessions, half make new ones.
			caches := []tls.ClientSessionCache{tls.NewLRUClientSessionCache(4), nil, tls.NewLRUClientSessionCache(4), nil}
			load := startLoadWith(func(w, i int) error {
				_, err := tlsEcho(addr, served.config(pool, caches[w]), fmt.Sprintf("worker %d session %d", w, i))
				return err
			})
			defer load.finish(t)
			waitFor(t, "handshakes with the first certificate", func() bool { return served.handshakes(serialOf(first)) > 0 })
			load.more(t, 50)
			// A session cached now must not outlive the certificate.
			cached := tls.NewLRUClientSessionCache(4)
			for range 2 {
				if _, err := tlsEcho(addr, served.config(pool, cached), "cache"); err != nil {
					t.Fatal(err)
				}
			}

			second := issue("second")
			files.Write(serverFiles(t, second))
			pollUntil(t, ticks, "the rotation", func() bool { ok, _ := reloads(); return ok == 1 })
			for _, c := range []tls.ClientSessionCache{cached, nil} {
				if got, err := tlsEcho(addr, served.config(pool, c), "after"); err != nil || got != serialOf(second) {
					t.Fatalf("after the rotation: served %s (%v), want %s", got, err, serialOf(second))
				}
			}
			waitFor(t, "loop handshakes with the second certificate", func() bool { return served.handshakes(serialOf(second)) > 2 })
			load.more(t, 50)

			// A certificate with another certificate's key is refused.
			third := issue("third")
			broken := serverFiles(t, third)
			broken["server.key"] = testpki.PEMKey(t, second.Key, testpki.PKCS8, "")
			files.Write(broken)
			pollUntil(t, ticks, "the refused rotation", func() bool { _, failed := reloads(); return failed == 1 })
			for range 3 {
				pollUntil(t, ticks, "a poll", func() bool { return true })
			}
			want := fmt.Sprintf(`[error] 1#1: SSL_CTX_use_PrivateKey(%q) failed (key values mismatch) for certificate %q while reloading changed ssl files, the previous ones stay in use`,
				files.Path("server.key"), files.Path("server.crt"))
			if n := strings.Count(ts.log.String(), want); n != 1 {
				t.Fatalf("the refusal was logged %d times, want once", n)
			}
			if got, err := tlsEcho(addr, served.config(pool, nil), "refused"); err != nil || got != serialOf(second) {
				t.Fatalf("after a refused rotation: served %s (%v), want %s", got, err, serialOf(second))
			}
			load.more(t, 50)

			// Repaired, the files are taken.
			files.Write(serverFiles(t, third))
			pollUntil(t, ticks, "the repaired rotation", func() bool { ok, _ := reloads(); return ok == 2 })
			if got, err := tlsEcho(addr, served.config(pool, nil), "repaired"); err != nil || got != serialOf(third) {
				t.Fatalf("after the repair: served %s (%v), want %s", got, err, serialOf(third))
			}
			load.more(t, 50)

			load.finish(t)
			if err := echoOnce(long, "after"); err != nil {
				t.Fatalf("a session made before the rotations: %v", err)
			}
			if got := served.handshakes(serialOf(third)); got < 1 {
				t.Fatal("no handshake with the repaired certificate")
			}
			src := ts.MetricsSnapshot
			for _, c := range []struct {
				labels []string
				want   float64
			}{
				{[]string{`result="ok"`, `side="client"`}, 2},
				{[]string{`result="error"`, `side="client"`}, 1},
				{[]string{`result="ok"`, `side="upstream"`}, 0},
			} {
				if v := scrape(t, src, "strait_tls_reloads_total", c.labels...); v != c.want {
					t.Errorf("reloads %v = %v, want %v", c.labels, v, c.want)
				}
			}
			if v := scrape(t, src, "strait_tls_certificate_not_after_seconds", `role="server"`,
				`serial="`+serialOf(third)+`"`, `file="`+files.Path("server.crt")+`"`); v != float64(third.Cert.NotAfter.Unix()) {
				t.Errorf("server certificate expiry = %v, want %d", v, third.Cert.NotAfter.Unix())
			}
			if v := scrape(t, src, "strait_tls_certificate_not_after_seconds", `role="client_ca"`,
				`subject="CN=client ca,O=strait test"`); v != float64(clientCA.Cert.NotAfter.Unix()) {
				t.Errorf("client CA expiry = %v", v)
			}
		})
	}
}

// TestListenSSLExpiryWarned: the watcher of a configuration with only
// listen ... ssl warns about the served certificate and the client CA
// near expiry, as it does for proxy_ssl files.
func TestListenSSLExpiryWarned(t *testing.T) {
	now := time.Now().Truncate(time.Second)
	day := 24 * time.Hour
	root := testpki.NewRoot(t, testpki.Spec{CommonName: "strait test root", NotAfter: now.Add(400 * day)})
	leaf := root.Issue(t, testpki.Spec{CommonName: "expiring", DNSNames: []string{"strait.test"}, NotAfter: now.Add(10*day + time.Hour)})
	clientCA := testpki.NewRoot(t, testpki.Spec{CommonName: "old client ca", NotAfter: now.Add(5*day + time.Hour)})
	dir := t.TempDir()
	crt, key := testpki.WriteLeaf(t, dir, "server", leaf)
	ca := testpki.WriteCerts(t, dir, "client-ca.crt", clientCA.Cert)
	ln, port := listenPort(t)
	cfg := mustConfig(t, dir, fmt.Sprintf(`
stream {
    server {
        listen 127.0.0.1:%s ssl;
        ssl_certificate %s;
        ssl_certificate_key %s;
        ssl_client_certificate %s;
        ssl_verify_client on;
        proxy_pass 127.0.0.1:9;
    }
}`, port, crt, key, ca))
	ts := startServerWith(t, cfg, Options{Inherited: []net.Listener{ln}, TLSPollTicks: make(chan time.Time),
		Now: func() time.Time { return now }})
	for _, want := range []string{
		fmt.Sprintf(`[warn] 1#1: certificate "CN=expiring,O=strait test" from %q expires in 10 days`, crt),
		fmt.Sprintf(`[warn] 1#1: certificate "CN=old client ca,O=strait test" from %q expires in 5 days`, ca),
	} {
		waitFor(t, want, func() bool { return strings.Contains(ts.log.String(), want) })
	}
}
