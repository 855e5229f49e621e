package tlsconf

import (
	"crypto/x509"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/errlog"
	"github.com/straitproxy/strait/internal/straittest"
	"github.com/straitproxy/strait/internal/testpki"
)

// reloadRecorder collects a Watcher's OnReload calls.
type reloadRecorder struct {
	mu   sync.Mutex
	errs []error
}

func (r *reloadRecorder) record(_ Side, _ []string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, err)
}

func (r *reloadRecorder) results() (ok, failed int, last error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.errs {
		if e == nil {
			ok++
		} else {
			failed++
		}
		last = e
	}
	return ok, failed, last
}

func testLogger() (*slog.Logger, *straittest.LockedBuffer) {
	buf := &straittest.LockedBuffer{}
	return slog.New(errlog.NewHandler(buf, errlog.LevelInfo, errlog.Options{PID: 1})), buf
}

// TestRotationWithoutReload replaces the client certificate and key, the
// CA bundle and the CRL under a running Client in each of the ways
// deployments do, and checks that the change is picked up once the files
// have settled, that the upstream sees the new client certificate on the
// next handshake (not a resumption of the old session), and that a
// broken replacement is refused once, logged, and leaves the previous
// files serving.
func TestRotationWithoutReload(t *testing.T) {
	root := testpki.NewRoot(t, testpki.Spec{CommonName: "rotation root"})
	next := testpki.NewRoot(t, testpki.Spec{CommonName: "next root"})
	server := root.Issue(t, testpki.Spec{DNSNames: []string{"backend"}})
	for _, mode := range testpki.ReplaceModes() {
		t.Run(mode.String(), func(t *testing.T) {
			var seen serials
			srv := startServer(t, mtlsServer(server, &seen, root.Cert, next.Cert))
			first := root.Issue(t, testpki.Spec{CommonName: "client one", Client: true})
			d := testpki.NewFileDir(t, mode)
			d.Write(pkiFiles(t, first, []*x509.Certificate{root.Cert}, root.CRL(t, testpki.CRLSpec{})))
			c := newClient(t, settingsIn(d), "backend")
			log, buf := testLogger()
			var rec reloadRecorder
			w := NewWatcher([]*Client{c}, nil, WatchOptions{Logger: log, OnReload: rec.record})

			for round := range 2 {
				if info, err := connect(t, c, srv.addr); err != nil || info.Reused != (round == 1) {
					t.Fatalf("before rotation, round %d: %+v, %v", round, info, err)
				}
			}
			w.Poll() // nothing changed
			second := next.Issue(t, testpki.Spec{CommonName: "client two", Client: true})
			d.Write(pkiFiles(t, second, []*x509.Certificate{root.Cert, next.Cert},
				root.CRL(t, testpki.CRLSpec{}), next.CRL(t, testpki.CRLSpec{})))
			w.Poll() // the change is seen; it must settle first
			if ok, failed, _ := rec.results(); ok+failed != 0 {
				t.Fatalf("reloaded before the files settled")
			}
			w.Poll()
			if ok, failed, err := rec.results(); ok != 1 || failed != 0 {
				t.Fatalf("after rotation: %d ok, %d failed, %v", ok, failed, err)
			}
			info, err := connect(t, c, srv.addr)
			if err != nil || info.Reused {
				t.Fatalf("first handshake after rotation: %+v, %v", info, err)
			}
			if got := seen.last(); got.Cmp(second.Cert.SerialNumber) != 0 {
				t.Fatalf("upstream saw client certificate %x, want the new one %x", got, second.Cert.SerialNumber)
			}
			if certs, crls := c.Certificates(); len(certs) != 3 || len(crls) != 2 || certs[0].Subject != second.Cert.Subject.String() {
				t.Fatalf("certificates in use: %+v, CRLs %+v", certs, crls)
			}

			// A certificate with another certificate's key is refused;
			// the previous files keep serving and the error is logged once.
			third := next.Issue(t, testpki.Spec{CommonName: "client three", Client: true})
			broken := pkiFiles(t, third, []*x509.Certificate{root.Cert, next.Cert},
				root.CRL(t, testpki.CRLSpec{}), next.CRL(t, testpki.CRLSpec{}))
			broken["client.key"] = testpki.PEMKey(t, second.Key, testpki.PKCS8, "")
			d.Write(broken)
			for range 4 {
				w.Poll()
			}
			ok, failed, err := rec.results()
			want := `SSL_CTX_use_PrivateKey("` + d.Path("client.key") + `") failed (key values mismatch) for certificate "` + d.Path("client.crt") + `"`
			if ok != 1 || failed != 1 || err == nil || err.Error() != want {
				t.Fatalf("broken rotation: %d ok, %d failed, %v", ok, failed, err)
			}
			if n := strings.Count(buf.String(), want+" while reloading changed proxy_ssl files, the previous ones stay in use"); n != 1 {
				t.Fatalf("error logged %d times:\n%s", n, buf.String())
			}
			if _, err := connect(t, c, srv.addr); err != nil {
				t.Fatal(err)
			}
			if got := seen.last(); got.Cmp(second.Cert.SerialNumber) != 0 {
				t.Fatalf("after a refused rotation the upstream saw %x, want %x", got, second.Cert.SerialNumber)
			}

			// Fixing the files puts them in use.
			d.Write(pkiFiles(t, third, []*x509.Certificate{root.Cert, next.Cert},
				root.CRL(t, testpki.CRLSpec{}), next.CRL(t, testpki.CRLSpec{})))
			w.Poll()
			w.Poll()
			if ok, failed, err := rec.results(); ok != 2 || failed != 1 || err != nil {
				t.Fatalf("fixed rotation: %d ok, %d failed, %v", ok, failed, err)
			}
			if _, err := connect(t, c, srv.addr); err != nil {
				t.Fatal(err)
			}
			if got := seen.last(); got.Cmp(third.Cert.SerialNumber) != 0 {
				t.Fatalf("upstream saw %x, want %x", got, third.Cert.SerialNumber)
			}
			if !strings.Contains(buf.String(), "[notice] 1#1: reloaded proxy_ssl files after a change of ") {
				t.Errorf("no reload notice:\n%s", buf.String())
			}
		})
	}
}

// TestRotatedTrustVerifiesNewHandshakes replaces the CA bundle with one
// that no longer trusts the upstream: the next handshake is refused, even
// though a session made under the old trust is in the cache.
func TestRotatedTrustVerifiesNewHandshakes(t *testing.T) {
	chain := testpki.NewChain(t, 0, testpki.Spec{DNSNames: []string{"backend"}})
	other := testpki.NewRoot(t, testpki.Spec{CommonName: "other root"})
	srv := startServer(t, serverConfig(chain.Leaf))
	d := testpki.NewFileDir(t, testpki.ByRename)
	d.Write(map[string][]byte{"ca.crt": testpki.PEMCerts(chain.Root.Cert)})
	c := newClient(t, verifying(d.Path("ca.crt"), 1), "backend")
	w := NewWatcher([]*Client{c}, nil, WatchOptions{})
	for round := range 2 {
		if info, err := connect(t, c, srv.addr); err != nil || info.Reused != (round == 1) {
			t.Fatalf("round %d: %+v, %v", round, info, err)
		}
	}
	d.Write(map[string][]byte{"ca.crt": testpki.PEMCerts(other.Cert)})
	w.Poll()
	w.Poll()
	_, err := connect(t, c, srv.addr)
	wantErr(t, err, "upstream SSL certificate verify error: (21:unable to verify the first certificate)")
}

// TestWatcherWaitsForFilesToSettle writes a file in two steps, one poll
// apart, as a slow in-place writer would: nothing is loaded until a poll
// sees the same state twice.
func TestWatcherWaitsForFilesToSettle(t *testing.T) {
	root := testpki.NewRoot(t, testpki.Spec{})
	leaf := root.Issue(t, testpki.Spec{CommonName: "client", Client: true})
	d := testpki.NewFileDir(t, testpki.InPlace)
	d.Write(pkiFiles(t, leaf, []*x509.Certificate{root.Cert}, root.CRL(t, testpki.CRLSpec{})))
	c := newClient(t, settingsIn(d), "backend")
	var rec reloadRecorder
	w := NewWatcher([]*Client{c}, nil, WatchOptions{OnReload: rec.record})
	full := testpki.PEMCerts(root.Cert)
	d.Write(map[string][]byte{"ca.crt": full[:len(full)/2]}) // half written
	w.Poll()
	d.Write(map[string][]byte{"ca.crt": append(full, full...)})
	w.Poll()
	if ok, failed, _ := rec.results(); ok+failed != 0 {
		t.Fatalf("loaded a file still being written: %d ok, %d failed", ok, failed)
	}
	w.Poll()
	if ok, failed, err := rec.results(); ok != 1 || failed != 0 {
		t.Fatalf("%d ok, %d failed, %v", ok, failed, err)
	}
}

// TestWatcherSharesAGroup checks that blocks reading the same files are
// reloaded together and reported once.
func TestWatcherSharesAGroup(t *testing.T) {
	root := testpki.NewRoot(t, testpki.Spec{})
	d := testpki.NewFileDir(t, testpki.ByRename)
	d.Write(pkiFiles(t, root.Issue(t, testpki.Spec{Client: true}), []*x509.Certificate{root.Cert}, root.CRL(t, testpki.CRLSpec{})))
	a, b := newClient(t, settingsIn(d), "a"), newClient(t, settingsIn(d), "b")
	log, buf := testLogger()
	var rec reloadRecorder
	w := NewWatcher([]*Client{a, b}, nil, WatchOptions{OnReload: rec.record, Logger: log})
	d.Write(map[string][]byte{"client.key": []byte("not a key")})
	w.Poll()
	w.Poll()
	if ok, failed, _ := rec.results(); ok != 0 || failed != 1 {
		t.Fatalf("%d ok, %d failed", ok, failed)
	}
	want := `cannot load certificate key "` + d.Path("client.key") + `": PEM_read_bio_PrivateKey() failed (no PEM private key found)`
	if n := strings.Count(buf.String(), want); n != 1 {
		t.Fatalf("logged %d times:\n%s", n, buf.String())
	}
}

// TestWatcherRunsOnTicksAndStops drives a started Watcher with an
// injected ticker; stop returns only once its goroutine has ended
// (goleak in TestMain checks none is left).
func TestWatcherRunsOnTicksAndStops(t *testing.T) {
	root := testpki.NewRoot(t, testpki.Spec{})
	d := testpki.NewFileDir(t, testpki.BySymlinkSwap)
	d.Write(pkiFiles(t, root.Issue(t, testpki.Spec{Client: true}), []*x509.Certificate{root.Cert}, root.CRL(t, testpki.CRLSpec{})))
	c := newClient(t, settingsIn(d), "backend")
	ticks := make(chan time.Time)
	var rec reloadRecorder
	stop := NewWatcher([]*Client{c}, nil, WatchOptions{Ticks: ticks, OnReload: rec.record}).Start()
	defer stop()
	fresh := root.Issue(t, testpki.Spec{CommonName: "fresh", Client: true})
	d.Write(pkiFiles(t, fresh, []*x509.Certificate{root.Cert}, root.CRL(t, testpki.CRLSpec{})))
	// A send returns once the loop has taken the tick, so the poll of
	// the tick before has finished: a bounded number of ticks is enough.
	for i := 0; i < 10; i++ {
		ticks <- time.Time{}
		if ok, _, _ := rec.results(); ok == 1 {
			break
		}
	}
	if ok, failed, err := rec.results(); ok != 1 || failed != 0 {
		t.Fatalf("%d ok, %d failed, %v", ok, failed, err)
	}
	if certs, _ := c.Certificates(); certs[0].Subject != fresh.Cert.Subject.String() {
		t.Fatalf("in use: %+v", certs[0])
	}
	stop()
}

// TestCRLMustBeSignedByItsTrustedIssuer refuses a CRL that names a CA
// of the trusted file as its issuer but that this CA did not sign.
func TestCRLMustBeSignedByItsTrustedIssuer(t *testing.T) {
	root := testpki.NewRoot(t, testpki.Spec{CommonName: "same name"})
	impostor := testpki.NewRoot(t, testpki.Spec{CommonName: "same name"})
	chain := testpki.NewChain(t, 1, testpki.Spec{DNSNames: []string{"backend"}})
	dir := t.TempDir()
	s := verifying(testpki.WriteCerts(t, dir, "ca.pem", root.Cert), 1)
	// A CRL of an intermediate not in the file cannot be checked at load.
	s.CRL = testpki.WriteFile(t, dir, "ok.pem", append(root.CRL(t, testpki.CRLSpec{}), chain.Issuer().CRL(t, testpki.CRLSpec{})...))
	newClient(t, s, "backend")
	s.CRL = testpki.WriteFile(t, dir, "bad.pem", append(root.CRL(t, testpki.CRLSpec{}), impostor.CRL(t, testpki.CRLSpec{})...))
	_, err := NewClient(s, "backend")
	wantErr(t, err, `cannot load CRL "`+s.CRL+`": CRL 2 is not signed by its issuer "CN=same name,O=strait test" of the trusted certificates`)
}
