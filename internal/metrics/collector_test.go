package metrics

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
)

var (
	t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	t1 = t0.Add(time.Minute)
	t2 = t0.Add(2 * time.Minute)
)

// sampleSnapshot has a TLS group with a healthy and a down peer, and a
// plain implicit group.
func sampleSnapshot() Snapshot {
	return Snapshot{
		Active: 2, Accepted: 7, Handled: 6,
		Statuses: map[int]uint64{200: 4, 502: 1},
		Bytes:    Bytes{FromClient: 10, ToClient: 20, FromUpstream: 30, ToUpstream: 40},
		Upstreams: []Upstream{
			{Name: "backend", TLS: true, Peers: []Peer{
				{Addr: "10.0.0.1:443", Name: "a.example:443", Weight: 5, Up: true, Conns: 1, Fails: 1,
					Attempts:   Attempts{OK: 3, ConnectError: 1, ConnectTimeout: 2, VerifyError: 5},
					Handshakes: Handshakes{New: 2, Resumed: 1}, CertificateNotAfter: t2,
					VerifyFailures: map[string]uint64{"certificate has expired": 3, "hostname mismatch": 2}},
				{Addr: "10.0.0.2:443", Name: "10.0.0.2:443", Weight: 1, Backup: true, Fails: 3,
					UnavailableUntil: t2, Attempts: Attempts{HandshakeError: 3}},
				{Addr: "10.0.0.3:443", Name: "10.0.0.3:443", Weight: 1, Down: true},
			}},
			{Name: "10.0.0.9:80", Peers: []Peer{{Addr: "10.0.0.9:80", Name: "10.0.0.9:80", Weight: 1, Up: true}}},
		},
		Servers: []Server{
			{Name: "127.0.0.1:12345", Pos: "/etc/strait/strait.conf:9", Active: 2, Sessions: 5,
				Bytes: Bytes{FromClient: 10, ToClient: 20, FromUpstream: 30, ToUpstream: 40}},
		},
		TLS: TLS{
			Reloads: TLSReloads{OK: 2, Error: 1, ClientOK: 4, Last: TLSReload{At: t1, Side: "upstream", Files: []string{"/c.pem", "/k.pem"}, Err: "bad key"}},
			Certificates: []Certificate{
				{File: "/c.pem", Role: "client", Subject: "CN=strait", Serial: "1f", NotAfter: t1},
				{File: "/ca.pem", Role: "ca", Subject: "CN=root", Serial: "2", NotAfter: t2},
				{File: "/c.pem", Role: "client", Subject: "CN=strait", Serial: "1f", NotAfter: t1}, // a second block
			},
			CRLs: []CRL{
				{File: "/crl.pem", Issuer: "CN=root", NextUpdate: t0},
				{File: "/crl.pem", Issuer: "CN=root", NextUpdate: t2}, // the newer CRL of the same CA
				{File: "/crl.pem", Issuer: "CN=none"},                 // no nextUpdate
			},
		},
	}
}

func newTestService(s Snapshot) *Service {
	return NewService(Options{
		Version: "9.9.9", ConfigFile: "/etc/strait/strait.conf", Start: t0,
		Now: func() time.Time { return t2 }, Source: func() Snapshot { return s },
	})
}

func get(t *testing.T, h http.Handler, method, path string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, nil))
	return rec
}

func TestMetricsExposition(t *testing.T) {
	svc := newTestService(sampleSnapshot())
	svc.Reloads().Record(t1, nil)
	svc.Reloads().Record(t2, errors.New("bad config"))
	rec := get(t, svc, "GET", "/metrics")
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("content type %q", ct)
	}
	got := parseExposition(t, rec.Body.String(), "strait_")

	attempts := func(up, peer string, ok, ce, ct, he, ve float64) map[string]float64 {
		m := map[string]float64{}
		for r, v := range map[string]float64{"ok": ok, "connect_error": ce, "connect_timeout": ct, "handshake_error": he, "verify_error": ve, "pin_mismatch": 0.0} {
			m[series("strait_upstream_attempts_total", "upstream", up, "peer", peer, "result", r)] = v
		}
		return m
	}
	want := map[string]float64{
		"strait_sessions_active":                                                        2,
		"strait_connections_accepted_total":                                             7,
		"strait_connections_handled_total":                                              6,
		series("strait_sessions_total", "status", "200"):                                4,
		series("strait_sessions_total", "status", "502"):                                1,
		series("strait_bytes_total", "direction", "from_client"):                        10,
		series("strait_bytes_total", "direction", "to_client"):                          20,
		series("strait_bytes_total", "direction", "from_upstream"):                      30,
		series("strait_bytes_total", "direction", "to_upstream"):                        40,
		series("strait_config_reloads_total", "result", "success"):                      1,
		series("strait_config_reloads_total", "result", "failure"):                      1,
		"strait_config_last_reload_success_timestamp_seconds":                           float64(t1.Unix()),
		series("strait_build_info", "version", "9.9.9", "goversion", runtime.Version()): 1,

		series("strait_upstream_tls_handshakes_total", "upstream", "backend", "peer", "10.0.0.1:443", "resumed", "false"): 2,
		series("strait_upstream_tls_handshakes_total", "upstream", "backend", "peer", "10.0.0.1:443", "resumed", "true"):  1,
		series("strait_upstream_tls_handshakes_total", "upstream", "backend", "peer", "10.0.0.2:443", "resumed", "false"): 0,
		series("strait_upstream_tls_handshakes_total", "upstream", "backend", "peer", "10.0.0.2:443", "resumed", "true"):  0,
		series("strait_upstream_tls_handshakes_total", "upstream", "backend", "peer", "10.0.0.3:443", "resumed", "false"): 0,
		series("strait_upstream_tls_handshakes_total", "upstream", "backend", "peer", "10.0.0.3:443", "resumed", "true"):  0,

		series("strait_upstream_peer_up", "upstream", "backend", "peer", "10.0.0.1:443"):    1,
		series("strait_upstream_peer_up", "upstream", "backend", "peer", "10.0.0.2:443"):    0,
		series("strait_upstream_peer_up", "upstream", "backend", "peer", "10.0.0.3:443"):    0,
		series("strait_upstream_peer_up", "upstream", "10.0.0.9:80", "peer", "10.0.0.9:80"): 1,

		series("strait_upstream_peer_active_connections", "upstream", "backend", "peer", "10.0.0.1:443"):    1,
		series("strait_upstream_peer_active_connections", "upstream", "backend", "peer", "10.0.0.2:443"):    0,
		series("strait_upstream_peer_active_connections", "upstream", "backend", "peer", "10.0.0.3:443"):    0,
		series("strait_upstream_peer_active_connections", "upstream", "10.0.0.9:80", "peer", "10.0.0.9:80"): 0,

		series("strait_upstream_peer_selections_total", "upstream", "backend", "peer", "10.0.0.1:443"):                                     0,
		series("strait_upstream_peer_selections_total", "upstream", "backend", "peer", "10.0.0.2:443"):                                     0,
		series("strait_upstream_peer_selections_total", "upstream", "backend", "peer", "10.0.0.3:443"):                                     0,
		series("strait_upstream_peer_selections_total", "upstream", "10.0.0.9:80", "peer", "10.0.0.9:80"):                                  0,
		series("strait_upstream_peer_healthy", "upstream", "backend", "peer", "10.0.0.1:443"):                                              1,
		series("strait_upstream_peer_healthy", "upstream", "backend", "peer", "10.0.0.2:443"):                                              1,
		series("strait_upstream_peer_healthy", "upstream", "backend", "peer", "10.0.0.3:443"):                                              1,
		series("strait_upstream_peer_healthy", "upstream", "10.0.0.9:80", "peer", "10.0.0.9:80"):                                           1,
		series("strait_upstream_peer_info", "upstream", "backend", "peer", "10.0.0.1:443", "server", "a.example:443", "origin", "config"):  1,
		series("strait_upstream_peer_info", "upstream", "backend", "peer", "10.0.0.2:443", "server", "10.0.0.2:443", "origin", "config"):   1,
		series("strait_upstream_peer_info", "upstream", "backend", "peer", "10.0.0.3:443", "server", "10.0.0.3:443", "origin", "config"):   1,
		series("strait_upstream_peer_info", "upstream", "10.0.0.9:80", "peer", "10.0.0.9:80", "server", "10.0.0.9:80", "origin", "config"): 1,

		series("strait_upstream_peer_certificate_not_after_seconds", "upstream", "backend", "peer", "10.0.0.1:443"):                    float64(t2.Unix()),
		series("strait_tls_reloads_total", "result", "ok", "side", "upstream"):                                                         2,
		series("strait_tls_reloads_total", "result", "error", "side", "upstream"):                                                      1,
		series("strait_tls_reloads_total", "result", "ok", "side", "client"):                                                           4,
		series("strait_tls_reloads_total", "result", "error", "side", "client"):                                                        0,
		series("strait_tls_certificate_not_after_seconds", "file", "/c.pem", "role", "client", "subject", "CN=strait", "serial", "1f"): float64(t1.Unix()),
		series("strait_tls_certificate_not_after_seconds", "file", "/ca.pem", "role", "ca", "subject", "CN=root", "serial", "2"):       float64(t2.Unix()),
		series("strait_tls_crl_next_update_seconds", "file", "/crl.pem", "issuer", "CN=root"):                                          float64(t2.Unix()),
		series("strait_client_tls_handshakes_total", "resumed", "false"):                                                               0,
		series("strait_client_tls_handshakes_total", "resumed", "true"):                                                                0,
	}
	for _, m := range []map[string]float64{
		attempts("backend", "10.0.0.1:443", 3, 1, 2, 0, 5),
		attempts("backend", "10.0.0.2:443", 0, 0, 0, 3, 0),
		attempts("backend", "10.0.0.3:443", 0, 0, 0, 0, 0),
		attempts("10.0.0.9:80", "10.0.0.9:80", 0, 0, 0, 0, 0),
	} {
		for k, v := range m {
			want[k] = v
		}
	}
	compareSeries(t, got, want)
	for _, family := range []string{"go_goroutines", "process_start_time_seconds"} {
		if !strings.Contains(rec.Body.String(), "\n"+family+" ") {
			t.Errorf("no %s in the exposition", family)
		}
	}
}

func compareSeries(t *testing.T, got, want map[string]float64) {
	t.Helper()
	for k, v := range want {
		g, ok := got[k]
		switch {
		case !ok:
			t.Errorf("missing %s", k)
		case g != v:
			t.Errorf("%s = %v, want %v", k, g, v)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected %s %v", k, v)
		}
	}
}

// A group listing one address twice, or two groups of one name, must not
// export a series twice: the registry would fail the whole scrape.
func TestMetricsMergeDuplicatePeers(t *testing.T) {
	s := Snapshot{Upstreams: []Upstream{
		{Name: "u", Peers: []Peer{{Addr: "10.0.0.1:1", Conns: 2}, {Addr: "10.0.0.1:1", Conns: 3, Up: true}}},
		{Name: "u", Peers: []Peer{{Addr: "10.0.0.2:1", Up: true}}},
	}}
	rec := get(t, newTestService(s), "GET", "/metrics")
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	got := parseExposition(t, rec.Body.String(), "strait_upstream_peer")
	want := map[string]float64{
		series("strait_upstream_peer_up", "upstream", "u", "peer", "10.0.0.1:1"):                                     1,
		series("strait_upstream_peer_up", "upstream", "u", "peer", "10.0.0.2:1"):                                     1,
		series("strait_upstream_peer_active_connections", "upstream", "u", "peer", "10.0.0.1:1"):                     5,
		series("strait_upstream_peer_active_connections", "upstream", "u", "peer", "10.0.0.2:1"):                     0,
		series("strait_upstream_peer_selections_total", "upstream", "u", "peer", "10.0.0.1:1"):                       0,
		series("strait_upstream_peer_selections_total", "upstream", "u", "peer", "10.0.0.2:1"):                       0,
		series("strait_upstream_peer_healthy", "upstream", "u", "peer", "10.0.0.1:1"):                                1,
		series("strait_upstream_peer_healthy", "upstream", "u", "peer", "10.0.0.2:1"):                                1,
		series("strait_upstream_peer_info", "origin", "config", "peer", "10.0.0.1:1", "server", "", "upstream", "u"): 1,
		series("strait_upstream_peer_info", "origin", "config", "peer", "10.0.0.2:1", "server", "", "upstream", "u"): 1,
	}
	compareSeries(t, got, want)
}

func TestRoutes(t *testing.T) {
	svc := newTestService(Snapshot{})
	cases := []struct {
		method, path string
		code         int
	}{
		{"GET", "/metrics", 200},
		{"HEAD", "/metrics", 200},
		{"GET", "/status", 200},
		{"GET", "/", 200},
		{"HEAD", "/", 200},
		{"GET", "/index.html", 404},
		{"POST", "/", 405},
		{"GET", "/metrics/x", 404},
		{"POST", "/metrics", 405},
		{"DELETE", "/status", 405},
	}
	for _, tc := range cases {
		if rec := get(t, svc, tc.method, tc.path); rec.Code != tc.code {
			body, _ := io.ReadAll(rec.Body)
			t.Errorf("%s %s: %d, want %d (%s)", tc.method, tc.path, rec.Code, tc.code, body)
		}
	}
}
