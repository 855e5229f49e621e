//go:build linux

package main

import (
	"errors"
	"math"
	"net"
	"strings"
	"testing"
	"time"
)

func TestDNSQueryAnswerRoundTrip(t *testing.T) {
	q := appendDNSQuery(nil, 0xbeef, "bench.strait.test.")
	end, err := questionEnd(q)
	if err != nil || end != len(q) {
		t.Fatalf("questionEnd = %d, %v; want %d", end, err, len(q))
	}
	ans, err := appendDNSAnswer(nil, q)
	if err != nil {
		t.Fatal(err)
	}
	id, err := dnsAnswerID(ans)
	if err != nil || id != 0xbeef {
		t.Fatalf("answer id %#x, %v", id, err)
	}
	// The answer repeats the question and ends with 127.0.0.1.
	if !strings.Contains(string(ans), string(q[dnsHeaderLen:])) || !strings.HasSuffix(string(ans), "\x7f\x00\x00\x01") {
		t.Errorf("answer % x", ans)
	}
	if _, err := dnsAnswerID(q); err == nil {
		t.Error("a query was taken for an answer")
	}
}

func TestDNSRejectsMalformedQueries(t *testing.T) {
	q := appendDNSQuery(nil, 1, "a.b")
	for name, msg := range map[string][]byte{
		"short":      q[:5],
		"truncated":  q[:len(q)-2],
		"no qdcount": append(append([]byte(nil), q[:4]...), make([]byte, 8)...),
		"compressed": append(append([]byte(nil), q[:dnsHeaderLen]...), 0xc0, 0x0c, 0, 1, 0, 1),
	} {
		if _, err := appendDNSAnswer(nil, msg); err == nil {
			t.Errorf("%s: answered % x", name, msg)
		}
	}
}

func TestDNSResponderAnswers(t *testing.T) {
	d, err := startDNSResponder(1)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	c, err := net.Dial("udp", d.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 1500)
	if err := exchangeDNS(c, appendDNSQuery(nil, 7, "x.test"), 7, buf, time.Now().Add(5*time.Second)); err != nil {
		t.Fatal(err)
	}
}

func TestUDPLoadResult(t *testing.T) {
	r := udpLoadResult{Answered: 990, Lost: 10, Elapsed: 2 * time.Second}
	if got := r.rate(); got != 495 {
		t.Errorf("rate %v, want 495", got)
	}
	if err := r.check(); err != nil {
		t.Errorf("1%% lost fails: %v", err)
	}
	r.Lost = 11
	if err := r.check(); err == nil {
		t.Error("over 1% lost passes")
	}
	if err := (udpLoadResult{LastErr: errors.New("refused")}).check(); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("nothing answered: %v", err)
	}
}

func TestRSSPerSessionAndCPUPer(t *testing.T) {
	if got := rssPerSession(usage{RSSBytes: 1 << 20}, usage{RSSBytes: 2 << 20}, 100); got != 10.24 {
		t.Errorf("rss per session %v, want 10.24", got)
	}
	if got := rssPerSession(usage{RSSBytes: 2 << 20}, usage{RSSBytes: 1 << 20}, 100); got != 0 {
		t.Errorf("shrinking rss gives %v, want 0", got)
	}
	if !math.IsNaN(rssPerSession(usage{}, usage{}, 0)) || !math.IsNaN(cpuPer(1, 0, 1000)) {
		t.Error("no sessions or no operations should give NaN")
	}
	if got := cpuPer(2, 200_000, 100_000); got != 1 {
		t.Errorf("cpu per 100k %v, want 1", got)
	}
}

func TestUDPRoutesInConfigs(t *testing.T) {
	routes, listen := testRoutes()
	for id, r := range udpRoutes("127.0.0.1:5353") {
		routes[id] = r
	}
	listen[routeDNSQuery], listen[routeDNSKeep] = "127.0.0.1:9001", "127.0.0.1:9002"
	conf := nginxConfig("", "/d", limitsFor(20000), routes, listen, &pkiFiles{})
	for _, want := range []string{
		"listen 127.0.0.1:9001 udp reuseport;\n        proxy_pass 127.0.0.1:5353;\n        proxy_responses 1;\n        proxy_timeout 10s;\n    }",
		"listen 127.0.0.1:9002 udp reuseport;\n        proxy_pass 127.0.0.1:5353;\n        proxy_timeout 10m;\n    }",
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("nginx config lacks %q:\n%s", want, conf)
		}
	}
	if strings.Count(conf, "proxy_responses") != 1 {
		t.Errorf("want proxy_responses on the per-query route only:\n%s", conf)
	}
	if hc := haproxyConfig(2, limitsFor(20000), routes, listen, &pkiFiles{}); strings.Contains(hc, "dns-") || strings.Contains(hc, "9001") {
		t.Errorf("HAProxy config has UDP routes:\n%s", hc)
	}
}

func TestUDPScenarioSkipsHAProxy(t *testing.T) {
	for _, sc := range scenarioTable() {
		if sc.Name == "udp" {
			if len(sc.Skip) != 1 || sc.Skip[0] != nameHAProxy {
				t.Errorf("udp skips %v, want haproxy", sc.Skip)
			}
			return
		}
	}
	t.Error("no udp scenario")
}
