package server

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/testpki"
)

// TestCertificateRotationUnderLoad replaces the client certificate and
// key, the CA bundle and the CRL under a running strait while sessions
// keep flowing, in each way deployments replace files. The upstream must
// see each new client certificate on the following handshakes, no
// session may fail, a broken replacement (a key that does not match) is
// refused and logged while the previous files keep serving, a reload
// hands the watching over to the new configuration, and the metrics
// count every outcome.
func TestCertificateRotationUnderLoad(t *testing.T) {
	upRoot := testpki.NewRoot(t, testpki.Spec{CommonName: "upstream root"})
	clientRoot := testpki.NewRoot(t, testpki.Spec{CommonName: "next client root"})
	upLeaf := upRoot.Issue(t, testpki.Spec{DNSNames: []string{"upstream.test"}})
	for _, mode := range testpki.ReplaceModes() {
		t.Run(mode.String(), func(t *testing.T) {
			up := startClientCertUpstream(t, upLeaf, upRoot.Cert, clientRoot.Cert)
			files := testpki.NewFileDir(t, mode)
			client := func(name string) *testpki.Leaf {
				return clientRoot.Issue(t, testpki.Spec{CommonName: name, Client: true})
			}
			first := upRoot.Issue(t, testpki.Spec{CommonName: "first", Client: true})
			files.Write(proxySSLFiles(t, first, []*testpki.CA{upRoot}))
			sock := files.Path("strait.sock")
			cfg := mustConfig(t, t.TempDir(), fmt.Sprintf(`
events {} stream {
    proxy_ssl on;
    proxy_ssl_certificate %s;
    proxy_ssl_certificate_key %s;
    proxy_ssl_trusted_certificate %s;
    proxy_ssl_crl %s;
    proxy_ssl_verify on;
    proxy_ssl_name upstream.test;
    server { listen unix:%s; proxy_pass %s; }
}`, files.Path("client.crt"), files.Path("client.key"), files.Path("ca.crt"), files.Path("crl.pem"), sock, up.addr))
			ticks := make(chan time.Time)
			ts := startWatchedServer(t, cfg, ticks)
			reloads := func() (ok, failed uint64) {
				r := ts.MetricsSnapshot().TLS.Reloads
				return r.OK, r.Error
			}

			// A session that spans every rotation: it keeps the
			// handshake it made.
			long, err := net.Dial("unix", sock)
			if err != nil {
				t.Fatal(err)
			}
			defer long.Close()
			if err := echoOnce(long, "before"); err != nil {
				t.Fatal(err)
			}
			load := startLoad(sock)
			defer load.finish(t)
			waitFor(t, "handshakes with the first certificate", func() bool { return up.handshakes(serialOf(first)) > 0 })
			load.more(t, 50)

			// The client certificate (from another CA), the CA bundle
			// and the CRLs all change.
			second := client("second")
			files.Write(proxySSLFiles(t, second, []*testpki.CA{upRoot, clientRoot}))
			pollUntil(t, ticks, "the first rotation", func() bool { ok, _ := reloads(); return ok == 1 })
			waitFor(t, "handshakes with the second certificate", func() bool { return up.handshakes(serialOf(second)) > 0 })
			load.more(t, 50)

			// A certificate with another certificate's key is refused.
			third := client("third")
			broken := proxySSLFiles(t, third, []*testpki.CA{upRoot, clientRoot})
			broken["client.key"] = testpki.PEMKey(t, second.Key, testpki.PKCS8, "")
			files.Write(broken)
			pollUntil(t, ticks, "the refused rotation", func() bool { _, failed := reloads(); return failed == 1 })
			for range 3 {
				pollUntil(t, ticks, "a poll", func() bool { return true })
			}
			want := fmt.Sprintf(`[error] 1#1: SSL_CTX_use_PrivateKey(%q) failed (key values mismatch) for certificate %q while reloading changed proxy_ssl files, the previous ones stay in use`,
				files.Path("client.key"), files.Path("client.crt"))
			if n := strings.Count(ts.log.String(), want); n != 1 {
				t.Fatalf("the refusal was logged %d times, want once:\n%s", n, ts.log.String())
			}
			n := up.handshakes(serialOf(second))
			waitFor(t, "more handshakes with the second certificate", func() bool { return up.handshakes(serialOf(second)) > n })
			if got := up.handshakes(serialOf(third)); got != 0 {
				t.Fatalf("the refused certificate was presented %d times", got)
			}

			// Repaired, the files are taken.
			files.Write(proxySSLFiles(t, third, []*testpki.CA{upRoot, clientRoot}))
			pollUntil(t, ticks, "the repaired rotation", func() bool { ok, _ := reloads(); return ok == 2 })
			waitFor(t, "handshakes with the third certificate", func() bool { return up.handshakes(serialOf(third)) > 0 })
			load.more(t, 50)

			// After a reload the new configuration's watcher takes over.
			if err := ts.Reload(cfg); err != nil {
				t.Fatal(err)
			}
			fourth := client("fourth")
			files.Write(proxySSLFiles(t, fourth, []*testpki.CA{upRoot, clientRoot}))
			pollUntil(t, ticks, "a rotation after a reload", func() bool { ok, _ := reloads(); return ok == 3 })
			waitFor(t, "handshakes with the fourth certificate", func() bool { return up.handshakes(serialOf(fourth)) > 0 })
			load.more(t, 50)

			load.finish(t)
			if err := echoOnce(long, "after"); err != nil {
				t.Fatalf("a session made before the rotations: %v", err)
			}
			src := ts.MetricsSnapshot
			if v := scrape(t, src, "strait_tls_reloads_total", `result="ok"`, `side="upstream"`); v != 3 {
				t.Errorf("ok reloads = %v", v)
			}
			if v := scrape(t, src, "strait_tls_reloads_total", `result="error"`, `side="upstream"`); v != 1 {
				t.Errorf("failed reloads = %v", v)
			}
			if v := scrape(t, src, "strait_tls_certificate_not_after_seconds", `role="client"`,
				`serial="`+serialOf(fourth)+`"`, `file="`+files.Path("client.crt")+`"`); v != float64(fourth.Cert.NotAfter.Unix()) {
				t.Errorf("client certificate expiry = %v, want %d", v, fourth.Cert.NotAfter.Unix())
			}
			if v := scrape(t, src, "strait_tls_certificate_not_after_seconds", `role="ca"`,
				`subject="CN=next client root,O=strait test"`); v != float64(clientRoot.Cert.NotAfter.Unix()) {
				t.Errorf("CA expiry = %v", v)
			}
			if v := scrape(t, src, "strait_upstream_peer_certificate_not_after_seconds",
				`peer="`+up.addr+`"`); v != float64(upLeaf.Cert.NotAfter.Unix()) {
				t.Errorf("peer certificate expiry = %v, want %d", v, upLeaf.Cert.NotAfter.Unix())
			}
		})
	}
}

// TestWatcherFollowsTheRunningConfiguration checks that only the running
// configuration's files are watched: a reload stops the replaced
// configuration's watcher before it drains, and a configuration without
// proxy_ssl runs none.
func TestWatcherFollowsTheRunningConfiguration(t *testing.T) {
	root := testpki.NewRoot(t, testpki.Spec{})
	files := testpki.NewFileDir(t, testpki.ByRename)
	files.Write(proxySSLFiles(t, root.Issue(t, testpki.Spec{Client: true}), []*testpki.CA{root}))
	dir := t.TempDir()
	tlsConf := mustConfig(t, dir, fmt.Sprintf(`
events {} stream {
    server { listen unix:%s/a.sock; proxy_pass 127.0.0.1:9; proxy_ssl on;
             proxy_ssl_certificate %s; proxy_ssl_certificate_key %s; }
}`, dir, files.Path("client.crt"), files.Path("client.key")))
	plainConf := mustConfig(t, dir, fmt.Sprintf(`events {} stream { server { listen unix:%s/a.sock; proxy_pass 127.0.0.1:9; } }`, dir))
	watching := func(s *snapshot) bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.stopWatch != nil
	}
	ts := startWatchedServer(t, tlsConf, make(chan time.Time))
	first := ts.cur.Load()
	if !watching(first) {
		t.Fatal("the first configuration's files are not watched")
	}
	if err := ts.Reload(tlsConf); err != nil {
		t.Fatal(err)
	}
	second := ts.cur.Load()
	if watching(first) || !watching(second) {
		t.Fatalf("after a reload: old watched %v, new watched %v", watching(first), watching(second))
	}
	if err := ts.Reload(plainConf); err != nil {
		t.Fatal(err)
	}
	if watching(second) || watching(ts.cur.Load()) {
		t.Fatal("a watcher runs for a configuration without proxy_ssl, or for a replaced one")
	}
}
