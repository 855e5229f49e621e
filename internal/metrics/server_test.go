package metrics_test

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/metrics"
	"github.com/straitproxy/strait/internal/server"
	"github.com/straitproxy/strait/internal/straittest"
	"github.com/straitproxy/strait/internal/testpki"
)

// serveUpstream runs an echo server on loopback, over TLS when cfg is set.
func serveUpstream(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	return straittest.ServeTCP(t, func(c net.Conn) {
		if cfg != nil {
			c = tls.Server(c, cfg)
		}
		straittest.Echo(c)
	})
}

func loadConfig(t *testing.T, dir, text string) (*config.Config, error) {
	t.Helper()
	path := filepath.Join(dir, "strait.conf")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return config.Load(config.LoadOptions{File: path, Prefix: dir})
}

// echo sends msg through addr and returns what came back before the
// proxy closed.
func echo(t *testing.T, addr, msg string) string {
	t.Helper()
	c := straittest.Dial(t, addr)
	defer c.Close()
	io.WriteString(c, msg)
	buf := make([]byte, len(msg))
	n, _ := io.ReadFull(c, buf)
	return string(buf[:n])
}

// statusDoc is the part of GET /status the test reads.
type statusDoc struct {
	Active    int64             `json:"active"`
	Accepted  uint64            `json:"accepted"`
	Statuses  map[string]uint64 `json:"statuses"`
	Upstreams []struct {
		Name  string `json:"name"`
		TLS   bool   `json:"tls"`
		Peers []struct {
			Address          string     `json:"address"`
			Up               bool       `json:"up"`
			Fails            int        `json:"fails"`
			UnavailableUntil *time.Time `json:"unavailable_until"`
			Failures         struct {
				Connect   uint64 `json:"connect"`
				Handshake uint64 `json:"handshake"`
			} `json:"failures"`
		} `json:"peers"`
	} `json:"upstreams"`
}

type harness struct {
	t        *testing.T
	srv      *server.Server
	svc      *metrics.Service
	endpoint *metrics.Endpoint
}

func (h *harness) get(path string) []byte {
	h.t.Helper()
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get("http://" + h.endpoint.Addr().String() + path)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		h.t.Fatalf("GET %s: %s %v", path, resp.Status, err)
	}
	return b
}

func (h *harness) metrics() map[string]float64 {
	return metrics.ParseExposition(h.t, string(h.get("/metrics")), "strait_")
}

func (h *harness) status() statusDoc {
	h.t.Helper()
	var doc statusDoc
	if err := json.Unmarshal(h.get("/status"), &doc); err != nil {
		h.t.Fatal(err)
	}
	return doc
}

// settle waits until n sessions have finished and none runs.
func (h *harness) settle(n uint64) {
	h.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		st := h.srv.Stats()
		var done uint64
		for _, v := range st.Statuses {
			done += v
		}
		if st.Active == 0 && done == n {
			return
		}
	}
	h.t.Fatalf("sessions did not settle at %d: %+v", n, h.srv.Stats())
}

// startHarness serves cfg on the listeners the test bound for it.
func startHarness(t *testing.T, cfg *config.Config, lns ...net.Listener) *harness {
	t.Helper()
	srv, err := server.New(cfg, server.Options{Logger: slog.New(slog.DiscardHandler), Inherited: lns})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve() }()
	svc := metrics.NewService(metrics.Options{
		Version: "test", ConfigFile: cfg.File, Start: time.Now(), Source: srv.MetricsSnapshot,
	})
	ep := metrics.NewEndpoint(svc, nil)
	if err := ep.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ep.Close()
		srv.Close()
		<-done
	})
	return &harness{t: t, srv: srv, svc: svc, endpoint: ep}
}

// TestServerMetrics runs an ok session, a session to a refused peer and
// TLS sessions whose first peer fails verification, then checks the exact
// counters in /metrics and /status, and that a reload swaps the groups
// shown while the counters carry on.
func TestServerMetrics(t *testing.T) {
	dir := t.TempDir()
	root := testpki.NewRoot(t, testpki.Spec{CommonName: "metrics test root"})
	other := testpki.NewRoot(t, testpki.Spec{CommonName: "untrusted root"})
	good := serveUpstream(t, &tls.Config{Certificates: []tls.Certificate{
		root.Issue(t, testpki.Spec{DNSNames: []string{"upstream.test"}}).TLSCertificate()}})
	untrusted := serveUpstream(t, &tls.Config{Certificates: []tls.Certificate{
		other.Issue(t, testpki.Spec{DNSNames: []string{"upstream.test"}}).TLSCertificate()}})
	plain := serveUpstream(t, nil)
	refused := straittest.RefusedAddr(t)
	caPath := testpki.WriteCerts(t, dir, "ca.crt", root.Cert)
	// Listeners the test binds and hands over; the reload keeps the first.
	lns := []net.Listener{straittest.Listen(t), straittest.Listen(t), straittest.Listen(t)}
	port := func(i int) int { p, _ := strconv.Atoi(straittest.Port(t, lns[i])); return p }
	pPlain, pRefused, pTLS := port(0), port(1), port(2)

	cfg, err := loadConfig(t, dir, fmt.Sprintf(`
events {} stream {
    upstream secure { server %s; server %s; }
    server { listen 127.0.0.1:%d; proxy_pass %s; }
    server { listen 127.0.0.1:%d; proxy_pass %s; proxy_connect_timeout 5s; }
    server {
        listen 127.0.0.1:%d;
        proxy_pass secure;
        proxy_ssl on;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate %s;
        proxy_ssl_name upstream.test;
    }
}`, untrusted, good, pPlain, plain, pRefused, refused, pTLS, caPath))
	if err != nil {
		t.Fatal(err)
	}
	h := startHarness(t, cfg, lns...)
	at := func(p int) string { return "127.0.0.1:" + strconv.Itoa(p) }

	if got := echo(t, at(pPlain), "plain-1"); got != "plain-1" {
		t.Fatalf("plain session answered %q", got)
	}
	if got := echo(t, at(pRefused), "refused"); got != "" {
		t.Fatalf("refused peer answered %q", got)
	}
	// The first TLS session tries the untrusted peer first (round robin
	// starts with the first server), fails verification and moves on; the
	// second resumes the session the first one got from the good peer.
	for _, msg := range []string{"secret-1", "secret-22"} {
		if got := echo(t, at(pTLS), msg); got != msg {
			t.Fatalf("TLS session answered %q", got)
		}
	}
	h.settle(4)

	const payload = len("plain-1") + len("secret-1") + len("secret-22")
	got := h.metrics()
	s := metrics.Series
	attempts := func(up, peer string, ok, ce, ct, he, ve float64) {
		t.Helper()
		for r, v := range map[string]float64{"ok": ok, "connect_error": ce, "connect_timeout": ct, "handshake_error": he, "verify_error": ve} {
			k := s("strait_upstream_attempts_total", "upstream", up, "peer", peer, "result", r)
			if got[k] != v {
				t.Errorf("%s = %v, want %v", k, got[k], v)
			}
		}
	}
	attempts(plain, plain, 1, 0, 0, 0, 0)
	attempts(refused, refused, 0, 1, 0, 0, 0)
	attempts("secure", untrusted, 0, 0, 0, 0, 1)
	attempts("secure", good, 2, 0, 0, 0, 0)
	for k, v := range map[string]float64{
		"strait_sessions_active":                                                                               0,
		"strait_connections_accepted_total":                                                                    4,
		"strait_connections_handled_total":                                                                     4,
		s("strait_sessions_total", "status", "200"):                                                            3,
		s("strait_sessions_total", "status", "502"):                                                            1,
		s("strait_bytes_total", "direction", "from_client"):                                                    float64(payload),
		s("strait_bytes_total", "direction", "to_client"):                                                      float64(payload),
		s("strait_bytes_total", "direction", "from_upstream"):                                                  float64(payload),
		s("strait_bytes_total", "direction", "to_upstream"):                                                    float64(payload),
		s("strait_config_reloads_total", "result", "success"):                                                  0,
		s("strait_config_reloads_total", "result", "failure"):                                                  0,
		s("strait_upstream_tls_handshakes_total", "upstream", "secure", "peer", good, "resumed", "false"):      1,
		s("strait_upstream_tls_handshakes_total", "upstream", "secure", "peer", good, "resumed", "true"):       1,
		s("strait_upstream_tls_handshakes_total", "upstream", "secure", "peer", untrusted, "resumed", "false"): 0,
		s("strait_upstream_peer_up", "upstream", "secure", "peer", good):                                       1,
		s("strait_upstream_peer_up", "upstream", "secure", "peer", untrusted):                                  0,
		// A group of one peer is never taken out, as in nginx.
		s("strait_upstream_peer_up", "upstream", refused, "peer", refused):               1,
		s("strait_upstream_peer_active_connections", "upstream", "secure", "peer", good): 0,
		s("strait_build_info", "version", "test", "goversion", runtime.Version()):        1,
	} {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
	if _, ok := got[s("strait_upstream_tls_handshakes_total", "upstream", plain, "peer", plain, "resumed", "false")]; ok {
		t.Error("handshake series exported for a plain upstream")
	}

	doc := h.status()
	if doc.Active != 0 || doc.Accepted != 4 || doc.Statuses["200"] != 3 || doc.Statuses["502"] != 1 {
		t.Errorf("status counters %+v", doc)
	}
	var names []string
	for _, u := range doc.Upstreams {
		names = append(names, u.Name)
	}
	if want := []string{"secure", plain, refused}; fmt.Sprint(names) != fmt.Sprint(want) {
		t.Fatalf("upstreams %v, want %v", names, want)
	}
	sec := doc.Upstreams[0]
	if !sec.TLS || len(sec.Peers) != 2 {
		t.Fatalf("secure group %+v", sec)
	}
	bad, ok := sec.Peers[0], sec.Peers[1]
	if bad.Address != untrusted || bad.Up || bad.Fails != 1 || bad.UnavailableUntil == nil || bad.Failures.Handshake != 1 || bad.Failures.Connect != 0 {
		t.Errorf("untrusted peer %+v", bad)
	}
	if ok.Address != good || !ok.Up || ok.Fails != 0 || ok.UnavailableUntil != nil || ok.Failures.Handshake != 0 {
		t.Errorf("good peer %+v", ok)
	}
	if ref := doc.Upstreams[2].Peers[0]; ref.Failures.Connect != 1 || !ref.Up {
		t.Errorf("refused peer %+v", ref)
	}

	// A reload that fails (its listen address is taken) changes nothing; one
	// that succeeds shows only the new configuration's groups, and the
	// counters of a peer it keeps carry on.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cfgBad, err := loadConfig(t, dir, fmt.Sprintf("events {} stream { server { listen %s; proxy_pass %s; } }", busy.Addr(), plain))
	if err != nil {
		t.Fatal(err)
	}
	err = h.srv.Reload(cfgBad)
	if err == nil {
		t.Fatal("reload onto a busy address succeeded")
	}
	h.svc.Reloads().Record(time.Now(), err)
	cfgNext, err := loadConfig(t, dir, fmt.Sprintf("events {} stream { server { listen 127.0.0.1:%d; proxy_pass %s; } }", pPlain, plain))
	if err != nil {
		t.Fatal(err)
	}
	h.svc.Reloads().Record(time.Now(), h.srv.Reload(cfgNext))
	if got := echo(t, at(pPlain), "plain-2"); got != "plain-2" {
		t.Fatalf("plain session after reload answered %q", got)
	}
	h.settle(5)
	got = h.metrics()
	for k, v := range map[string]float64{
		s("strait_config_reloads_total", "result", "success"):                                 1,
		s("strait_config_reloads_total", "result", "failure"):                                 1,
		s("strait_upstream_attempts_total", "upstream", plain, "peer", plain, "result", "ok"): 2,
		"strait_connections_accepted_total":                                                   5,
	} {
		if got[k] != v {
			t.Errorf("after reload: %s = %v, want %v", k, got[k], v)
		}
	}
	if _, ok := got[s("strait_upstream_peer_up", "upstream", "secure", "peer", good)]; ok {
		t.Error("a group the reload removed is still exported")
	}
	if doc := h.status(); len(doc.Upstreams) != 1 || doc.Upstreams[0].Name != plain {
		t.Errorf("upstreams after reload %+v", doc.Upstreams)
	}
}
