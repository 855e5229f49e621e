//go:build linux

package main

import (
	"math"
	"sort"
)

// metric is one row of the results table.
type metric struct {
	ID     string
	Label  string // table row
	Short  string // chart label
	Higher bool   // higher is better
	Digits int    // decimals shown
	Target *goal  // nil: reported, no target
	// NoRatio marks rows whose ratio means nothing (a share that should
	// simply be near 100 % or 0 %).
	NoRatio bool
}

// goal is a target on strait's ratio to some peers: strait/peer >= Ratio
// for higher-is-better metrics, <= Ratio otherwise.
type goal struct {
	Ratio float64
	Peers []string
}

// metricTable lists every row in table order. Targets are the project's.
func metricTable() []metric {
	return append([]metric{
		{ID: "req-rps", Label: "TLS requests/s (redis-benchmark ping,set,get -c 50)", Short: "REQ/S", Higher: true, Target: &goal{1.15, []string{nameNginx, nameHAProxy}}},
		{ID: "req-cpu", Label: "TLS requests: proxy CPU s per 100k requests", Short: "REQ CPU", Digits: 3, Target: &goal{0.9, []string{nameNginx}}},
		{ID: "req-sys", Label: "TLS requests: proxy system calls per request", Short: "", Digits: 2},
		{ID: "connr-rate", Label: "connections/s, resumed TLS upstream", Short: "CONN/S RESUMED", Higher: true, Target: &goal{1.3, []string{nameNginx}}},
		{ID: "connr-resumed", Label: "connections, resumed: upstream handshakes resumed %", Higher: true, Digits: 1, NoRatio: true},
		{ID: "connr-cpu", Label: "connections, resumed: proxy CPU s per 1k connections", Short: "CONN CPU RESUMED", Digits: 3, Target: &goal{1.0, []string{nameNginx}}},
		{ID: "connr-sys", Label: "connections, resumed: proxy system calls per connection", Short: "", Digits: 1},
		{ID: "connf-rate", Label: "connections/s, full TLS handshake", Short: "CONN/S FULL", Higher: true},
		{ID: "connf-resumed", Label: "connections, full: upstream handshakes resumed %", Higher: true, Digits: 1, NoRatio: true},
		{ID: "connf-cpu", Label: "connections, full: proxy CPU s per 1k connections", Short: "CONN CPU FULL", Digits: 3, Target: &goal{1.0, []string{nameNginx}}},
		{ID: "connf-sys", Label: "connections, full: proxy system calls per connection", Short: "", Digits: 1},
		{ID: "bulk1-mbps", Label: "bulk TLS, 1 session: MB/s", Short: "BULK 1 MB/S", Higher: true, Target: &goal{1.0, []string{nameNginx}}},
		{ID: "bulk1-cpu", Label: "bulk TLS, 1 session: proxy CPU s per GiB", Short: "BULK 1 CPU", Digits: 2, Target: &goal{1.0, []string{nameNginx}}},
		{ID: "bulk1-sys", Label: "bulk TLS, 1 session: proxy system calls per MiB", Short: "", Digits: 1},
		{ID: "bulk16-mbps", Label: "bulk TLS, 16 sessions: MB/s", Short: "BULK 16 MB/S", Higher: true, Target: &goal{1.0, []string{nameNginx}}},
		{ID: "bulk16-cpu", Label: "bulk TLS, 16 sessions: proxy CPU s per GiB", Short: "BULK 16 CPU", Digits: 2, Target: &goal{1.0, []string{nameNginx}}},
		{ID: "bulk16-sys", Label: "bulk TLS, 16 sessions: proxy system calls per MiB", Short: "", Digits: 1},
		{ID: "lat-p50", Label: "latency 64 B echo over TLS upstream: p50 µs", Short: "", Digits: 1},
		{ID: "lat-p99", Label: "latency 64 B echo over TLS upstream: p99 µs", Short: "", Digits: 1},
		{ID: "lat-p50-added", Label: "latency: p50 µs added over direct", Short: "P50 ADDED", Digits: 1},
		{ID: "lat-p99-added", Label: "latency: p99 µs added over direct", Short: "P99 ADDED", Digits: 1, Target: &goal{1.0, []string{nameNginx}}},
		{ID: "idle-kb", Label: "idle TLS sessions: proxy RSS KB per session", Short: "IDLE KB/SESSION", Digits: 1, Target: &goal{0.5, []string{nameNginx}}},
		{ID: "plain-rps", Label: "plain requests/s (no TLS)", Short: "PLAIN REQ/S", Higher: true, Target: &goal{1.15, []string{nameNginx, nameHAProxy}}},
		{ID: "plain-cpu", Label: "plain requests: proxy CPU s per 100k requests", Short: "PLAIN REQ CPU", Digits: 3, Target: &goal{0.9, []string{nameNginx}}},
		{ID: "plain-sys", Label: "plain requests: proxy system calls per request", Short: "", Digits: 2},
		{ID: "plain-bulk1-mbps", Label: "plain bulk, 1 session: MB/s", Short: "PLAIN BULK 1", Higher: true, Target: &goal{1.0, []string{nameNginx}}},
		{ID: "plain-bulk1-cpu", Label: "plain bulk, 1 session: proxy CPU s per GiB", Short: "", Digits: 2},
		{ID: "plain-bulk1-sys", Label: "plain bulk, 1 session: proxy system calls per MiB", Short: "", Digits: 1},
		{ID: "plain-bulk16-mbps", Label: "plain bulk, 16 sessions: MB/s", Short: "PLAIN BULK 16", Higher: true, Target: &goal{1.0, []string{nameNginx}}},
		{ID: "plain-bulk16-cpu", Label: "plain bulk, 16 sessions: proxy CPU s per GiB", Short: "", Digits: 2},
		{ID: "plain-bulk16-sys", Label: "plain bulk, 16 sessions: proxy system calls per MiB", Short: "", Digits: 1},
	}, udpMetrics()...)
}

// addedOverDirect maps derived latency rows to the absolute rows they
// subtract the direct baseline from.
func addedOverDirect() map[string]string {
	return map[string]string{"lat-p50-added": "lat-p50", "lat-p99-added": "lat-p99"}
}

// median returns the median of xs, NaN when empty.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// results collects per-round values: metric -> target -> values.
type results struct {
	values map[string]map[string][]float64
	errors map[string]map[string]string // scenario -> target -> error
	facts  map[string]map[string]string // fact -> target -> value
}

func newResults() *results {
	return &results{values: map[string]map[string][]float64{}, errors: map[string]map[string]string{},
		facts: map[string]map[string]string{}}
}

func (r *results) add(metricID, target string, v float64) {
	if r.values[metricID] == nil {
		r.values[metricID] = map[string][]float64{}
	}
	r.values[metricID][target] = append(r.values[metricID][target], v)
}

// note records an observation about a target, the latest one winning.
func (r *results) note(fact, target, value string) {
	if r.facts[fact] == nil {
		r.facts[fact] = map[string]string{}
	}
	r.facts[fact][target] = value
}

func (r *results) fail(scenario, target string, err error) {
	if r.errors[scenario] == nil {
		r.errors[scenario] = map[string]string{}
	}
	if _, seen := r.errors[scenario][target]; !seen {
		r.errors[scenario][target] = err.Error()
	}
}

// medians returns metric -> target -> median, with the derived "added
// over direct" latency rows filled in for every proxy.
func (r *results) medians() map[string]map[string]float64 {
	out := map[string]map[string]float64{}
	for id, byTarget := range r.values {
		out[id] = map[string]float64{}
		for t, vs := range byTarget {
			out[id][t] = median(vs)
		}
	}
	for added, abs := range addedOverDirect() {
		direct, ok := out[abs][nameDirect]
		if !ok {
			continue
		}
		for t, v := range out[abs] {
			if t == nameDirect {
				continue
			}
			if out[added] == nil {
				out[added] = map[string]float64{}
			}
			out[added][t] = v - direct
		}
	}
	return out
}
