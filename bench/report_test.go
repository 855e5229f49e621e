//go:build linux

package main

import (
	"bytes"
	"image/png"
	"math"
	"strings"
	"testing"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want float64
	}{
		{"one", []float64{7}, 7},
		{"odd unsorted", []float64{9, 1, 5}, 5},
		{"even averages the middle two", []float64{4, 1, 3, 2}, 2.5},
		{"duplicates", []float64{2, 2, 9}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := append([]float64(nil), tt.in...)
			if got := median(tt.in); got != tt.want {
				t.Fatalf("median(%v) = %v, want %v", tt.in, got, tt.want)
			}
			for i := range in {
				if in[i] != tt.in[i] {
					t.Fatalf("median reordered its input: %v", tt.in)
				}
			}
		})
	}
	if !math.IsNaN(median(nil)) {
		t.Fatal("median of nothing should be NaN")
	}
}

func TestMediansDeriveAddedLatency(t *testing.T) {
	r := newResults()
	for _, v := range []float64{100, 120, 110} {
		r.add("lat-p99", nameNginx, v)
	}
	for _, v := range []float64{40, 60, 50} {
		r.add("lat-p99", nameDirect, v)
	}
	r.add("lat-p99", nameStrait, 70)
	m := r.medians()
	if got := m["lat-p99-added"][nameNginx]; got != 60 {
		t.Errorf("nginx p99 added = %v, want 110-50 = 60", got)
	}
	if got := m["lat-p99-added"][nameStrait]; got != 20 {
		t.Errorf("strait p99 added = %v, want 70-50 = 20", got)
	}
	if _, ok := m["lat-p99-added"][nameDirect]; ok {
		t.Error("direct has no added latency over itself")
	}
}

func testMetrics() []metric {
	return []metric{
		{ID: "rps", Label: "requests/s", Short: "REQ/S", Higher: true, Target: &goal{1.15, []string{nameNginx, nameHAProxy}}},
		{ID: "cpu", Label: "cpu", Short: "CPU", Digits: 2, Target: &goal{1.0, []string{nameNginx}}},
		{ID: "added", Label: "p99 added", Short: "P99", Digits: 1, Target: &goal{1.0, []string{nameNginx}}},
		{ID: "mem", Label: "memory", Short: "MEM", Target: &goal{0.5, []string{nameNginx}}},
		{ID: "plain", Label: "plain", Short: "PLAIN", Higher: true},
		{ID: "unmeasured", Label: "never measured", Higher: true},
	}
}

func TestBuildTableStatusesAndRatios(t *testing.T) {
	med := map[string]map[string]float64{
		"rps":   {nameStrait: 1200, nameNginx: 1000, nameHAProxy: 1100}, // 1.2 and 1.09
		"cpu":   {nameStrait: 0.5, nameNginx: 1.0},                      // met
		"added": {nameStrait: 5, nameNginx: -2},                         // peer below zero: not met, ratio n/a
		"mem":   {nameNginx: 40},                                        // strait missing
		"plain": {nameStrait: 10, nameNginx: 5, nameHAProxy: 0},         // no goal
	}
	tb := buildTable(testMetrics(), med, []string{nameStrait, nameNginx, nameHAProxy, nameDirect})
	if len(tb.Rows) != 5 {
		t.Fatalf("rows = %d, want 5 (the unmeasured row left out)", len(tb.Rows))
	}
	if want := []string{nameNginx, nameHAProxy}; strings.Join(tb.Peers, ",") != strings.Join(want, ",") {
		t.Fatalf("peers = %v, want %v", tb.Peers, want)
	}
	byID := map[string]row{}
	for _, r := range tb.Rows {
		byID[r.Metric.ID] = r
	}
	tests := []struct {
		id, status string
		nginx      float64 // NaN: undefined
	}{
		{"rps", "NOT MET (haproxy)", 1.2},
		{"cpu", "met", 0.5},
		{"added", "NOT MET (nginx)", math.NaN()},
		{"mem", "no data", math.NaN()},
		{"plain", "", 2},
	}
	for _, tt := range tests {
		r := byID[tt.id]
		if r.Status != tt.status {
			t.Errorf("%s: status %q, want %q", tt.id, r.Status, tt.status)
		}
		got := r.Ratios[nameNginx]
		if math.IsNaN(tt.nginx) != math.IsNaN(got) || (!math.IsNaN(got) && math.Abs(got-tt.nginx) > 1e-9) {
			t.Errorf("%s: strait/nginx = %v, want %v", tt.id, got, tt.nginx)
		}
	}
	if !math.IsNaN(byID["plain"].Ratios[nameHAProxy]) {
		t.Error("a ratio over a zero peer value must be undefined")
	}
}

func TestGoalMet(t *testing.T) {
	tests := []struct {
		name   string
		g      goal
		higher bool
		s, p   float64
		want   bool
	}{
		{"higher, exactly at target", goal{1.15, nil}, true, 115, 100, true},
		{"higher, below target", goal{1.15, nil}, true, 114, 100, false},
		{"lower, half", goal{0.5, nil}, false, 20, 40, true},
		{"lower, above half", goal{0.5, nil}, false, 21, 40, false},
		{"lower, negative peer beaten", goal{1, nil}, false, -3, -2, true},
		{"lower, negative peer not beaten", goal{1, nil}, false, 1, -2, false},
	}
	for _, tt := range tests {
		if got := goalMet(tt.g, tt.higher, tt.s, tt.p); got != tt.want {
			t.Errorf("%s: goalMet = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestMarkdownRendersCellsMarksAndTargets(t *testing.T) {
	med := map[string]map[string]float64{
		"rps": {nameNginx: 1000, nameHAProxy: 900, nameDirect: 2000},
		"cpu": {nameNginx: 1.234},
	}
	tb := buildTable(testMetrics(), med, []string{nameStrait, nameNginx, nameHAProxy, nameDirect})
	md := tb.markdown(map[string]string{nameStrait: pendingMark})
	lines := strings.Split(strings.TrimSpace(md), "\n")
	if len(lines) != 4 {
		t.Fatalf("got %d lines, want header, rule and 2 rows:\n%s", len(lines), md)
	}
	wantHeader := "| metric | strait | nginx | haproxy | direct | strait/nginx | strait/haproxy | target | status |"
	if lines[0] != wantHeader {
		t.Errorf("header:\n got %s\nwant %s", lines[0], wantHeader)
	}
	wantRows := []string{
		"| requests/s | pending† | 1000 | 900 | 2000 | n/a | n/a | ≥ 1.15× nginx, haproxy | no data |",
		"| cpu ↓ | pending† | 1.23 | — | — | n/a | n/a | ≤ 1.00× nginx | no data |",
	}
	for i, want := range wantRows {
		if lines[2+i] != want {
			t.Errorf("row %d:\n got %s\nwant %s", i, lines[2+i], want)
		}
	}
}

func TestMarkdownWithoutStraitHasNoRatioColumns(t *testing.T) {
	tb := buildTable(testMetrics(), map[string]map[string]float64{"rps": {nameNginx: 1}}, []string{nameNginx, nameHAProxy})
	md := tb.markdown(nil)
	if strings.Contains(md, "strait/") {
		t.Errorf("ratio columns without strait:\n%s", md)
	}
	if formatRatio(1.234) != "1.23×" {
		t.Errorf("formatRatio(1.234) = %q", formatRatio(1.234))
	}
}

func TestRenderChartIsAPNG(t *testing.T) {
	med := map[string]map[string]float64{
		"rps": {nameStrait: 1200, nameNginx: 1000, nameHAProxy: 300},
		"cpu": {nameStrait: 0.5, nameNginx: 1.0, nameHAProxy: 0.8},
	}
	for _, targets := range [][]string{{nameStrait, nameNginx, nameHAProxy}, {nameNginx}} {
		tb := buildTable(testMetrics(), med, targets)
		data, err := renderChart(tb, "test chart")
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("chart is not a PNG: %v", err)
		}
		if img.Bounds().Dx() != 1000 || img.Bounds().Dy() < 100 {
			t.Errorf("chart size %v", img.Bounds())
		}
	}
}

func TestFontCoversChartText(t *testing.T) {
	font := glyphs()
	for r, g := range font {
		for _, line := range g {
			if len(line) != 5 {
				t.Fatalf("glyph %q has a row of width %d", r, len(line))
			}
		}
	}
	var text strings.Builder
	for _, m := range metricTable() {
		text.WriteString(m.Short)
	}
	text.WriteString("BARS: STRAIT / PEER, MEDIANS OF THE SAME RUN.  * = LOWER IS BETTER.  RED TICK = TARGET.0123456789NGINXHAPROXY")
	for _, r := range strings.ToUpper(text.String()) {
		if _, ok := font[r]; !ok {
			t.Errorf("no glyph for %q", r)
		}
	}
}

func TestMarkdownLeavesShareRowsWithoutRatio(t *testing.T) {
	ms := []metric{{ID: "share", Label: "resumed %", Higher: true, Digits: 1, NoRatio: true}}
	med := map[string]map[string]float64{"share": {nameStrait: 98, nameNginx: 96}}
	md := buildTable(ms, med, []string{nameStrait, nameNginx}).markdown(nil)
	if want := "| resumed % | 98.0 | 96.0 |  |  |  |\n"; !strings.HasSuffix(md, want) {
		t.Errorf("got\n%s\nwant last line %q", md, want)
	}
}

func TestSpliceResults(t *testing.T) {
	doc := "intro\n" + docsStart + "\nold table\n" + docsEnd + "\noutro\n"
	got, ok := spliceResults(doc, "\nnew table\n\n")
	want := "intro\n" + docsStart + "\nnew table\n" + docsEnd + "\noutro\n"
	if !ok || got != want {
		t.Fatalf("got %q, %v; want %q", got, ok, want)
	}
	for _, bad := range []string{"no markers", docsEnd + " before " + docsStart} {
		if out, ok := spliceResults(bad, "x"); ok || out != bad {
			t.Errorf("spliceResults(%q) = %q, %v; want unchanged", bad, out, ok)
		}
	}
}

func TestCommandQuotesArguments(t *testing.T) {
	r := report{Options: options{Args: []string{"-doc", "", "-only", "bulk", "-strait", "/a b/strait"}}}
	if got, want := r.command(), `go run ./bench -doc '' -only bulk -strait '/a b/strait'`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
