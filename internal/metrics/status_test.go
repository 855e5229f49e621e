package metrics

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// statusJSON decodes GET /status generically, so that the test checks the
// documented field names rather than this package's struct tags.
func statusJSON(t *testing.T, svc *Service) map[string]any {
	t.Helper()
	rec := get(t, svc, "GET", "/status")
	if rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("content type %q", ct)
	}
	var doc map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("%v in %s", err, rec.Body)
	}
	return doc
}

func TestStatusDocument(t *testing.T) {
	svc := newTestService(sampleSnapshot())
	doc := statusJSON(t, svc)
	if doc["last_reload"] != nil {
		t.Errorf("last_reload before any reload: %v", doc["last_reload"])
	}
	svc.Reloads().Record(t1, nil)
	svc.Reloads().Record(t2, errors.New(`unknown directive "x" in /etc/strait/strait.conf:3`))
	doc = statusJSON(t, svc)
	upstreams := doc["upstreams"]
	delete(doc, "upstreams")
	want := map[string]any{
		"version": "9.9.9", "config_file": "/etc/strait/strait.conf",
		"start_time": "2026-03-01T10:00:00Z", "uptime_seconds": 120.0,
		"last_reload": map[string]any{
			"time": "2026-03-01T10:02:00Z", "result": "failure",
			"error": `unknown directive "x" in /etc/strait/strait.conf:3`,
		},
		"last_reload_success_time": "2026-03-01T10:01:00Z",
		"reloads":                  map[string]any{"success": 1.0, "failure": 1.0},
		"active":                   2.0, "accepted": 7.0, "handled": 6.0,
		"statuses": map[string]any{"200": 4.0, "502": 1.0},
		"bytes":    map[string]any{"from_client": 10.0, "to_client": 20.0, "from_upstream": 30.0, "to_upstream": 40.0},
		"servers": []any{map[string]any{
			"name": "127.0.0.1:12345", "position": "/etc/strait/strait.conf:9", "active": 2.0, "sessions": 5.0,
			"bytes": map[string]any{"from_client": 10.0, "to_client": 20.0, "from_upstream": 30.0, "to_upstream": 40.0},
		}},
		"tls": map[string]any{
			"reloads":        map[string]any{"ok": 2.0, "error": 1.0},
			"client_reloads": map[string]any{"ok": 4.0, "error": 0.0},
			"last_reload": map[string]any{"time": "2026-03-01T10:01:00Z", "result": "error", "side": "upstream",
				"files": []any{"/c.pem", "/k.pem"}, "error": "bad key"},
			"certificates": []any{
				map[string]any{"file": "/c.pem", "role": "client", "subject": "CN=strait", "serial": "1f", "not_after": "2026-03-01T10:01:00Z"},
				map[string]any{"file": "/ca.pem", "role": "ca", "subject": "CN=root", "serial": "2", "not_after": "2026-03-01T10:02:00Z"},
				map[string]any{"file": "/c.pem", "role": "client", "subject": "CN=strait", "serial": "1f", "not_after": "2026-03-01T10:01:00Z"},
			},
			"crls": []any{
				map[string]any{"file": "/crl.pem", "issuer": "CN=root", "next_update": "2026-03-01T10:00:00Z"},
				map[string]any{"file": "/crl.pem", "issuer": "CN=root", "next_update": "2026-03-01T10:02:00Z"},
				map[string]any{"file": "/crl.pem", "issuer": "CN=none", "next_update": nil},
			},
		},
	}
	if !reflect.DeepEqual(doc, want) {
		t.Errorf("status document\n got %#v\nwant %#v", doc, want)
	}

	attempts := func(ok, ce, ct, he, ve float64) map[string]any {
		return map[string]any{"ok": ok, "connect_error": ce, "connect_timeout": ct, "handshake_error": he, "verify_error": ve, "pin_mismatch": 0.0}
	}
	peer := func(addr, name string, weight float64, backup, down, up bool, conns, fails float64, until any,
		connectFail, handshakeFail float64, att map[string]any, hsNew, hsResumed float64) map[string]any {
		var notAfter any
		verify := map[string]any{}
		if addr == "10.0.0.1:443" {
			notAfter = "2026-03-01T10:02:00Z"
			verify = map[string]any{"certificate has expired": 3.0, "hostname mismatch": 2.0}
		}
		return map[string]any{
			"certificate_not_after": notAfter,
			"address":               addr, "name": name, "weight": weight, "backup": backup, "down": down, "up": up,
			"active_connections": conns, "fails": fails, "unavailable_until": until,
			"failures":        map[string]any{"connect": connectFail, "handshake": handshakeFail},
			"attempts":        att,
			"handshakes":      map[string]any{"new": hsNew, "resumed": hsResumed},
			"selections":      0.0,
			"health":          map[string]any{"state": "unchecked", "last_check": nil},
			"verify_failures": verify,
		}
	}
	wantUpstreams := []any{
		map[string]any{"name": "backend", "tls": true, "peers": []any{
			peer("10.0.0.1:443", "a.example:443", 5, false, false, true, 1, 1, nil, 3, 5, attempts(3, 1, 2, 0, 5), 2, 1),
			peer("10.0.0.2:443", "10.0.0.2:443", 1, true, false, false, 0, 3, "2026-03-01T10:02:00Z", 0, 3, attempts(0, 0, 0, 3, 0), 0, 0),
			peer("10.0.0.3:443", "10.0.0.3:443", 1, false, true, false, 0, 0, nil, 0, 0, attempts(0, 0, 0, 0, 0), 0, 0),
		}},
		map[string]any{"name": "10.0.0.9:80", "tls": false, "peers": []any{
			peer("10.0.0.9:80", "10.0.0.9:80", 1, false, false, true, 0, 0, nil, 0, 0, attempts(0, 0, 0, 0, 0), 0, 0),
		}},
	}
	if !reflect.DeepEqual(upstreams, wantUpstreams) {
		t.Errorf("upstreams\n got %#v\nwant %#v", upstreams, wantUpstreams)
	}
}

// An empty server (no stream block) still answers with empty collections,
// not nulls, so that clients can iterate without checks.
func TestStatusDocumentEmpty(t *testing.T) {
	doc := statusJSON(t, newTestService(Snapshot{}))
	if s, ok := doc["statuses"].(map[string]any); !ok || len(s) != 0 {
		t.Errorf("statuses %#v", doc["statuses"])
	}
	for _, k := range []string{"upstreams", "servers"} {
		if u, ok := doc[k].([]any); !ok || len(u) != 0 {
			t.Errorf("%s %#v", k, doc[k])
		}
	}
	tls, _ := doc["tls"].(map[string]any)
	for _, k := range []string{"certificates", "crls"} {
		if l, ok := tls[k].([]any); !ok || len(l) != 0 {
			t.Errorf("tls.%s %#v", k, tls[k])
		}
	}
}
