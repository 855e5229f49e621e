//go:build linux

package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestEngineFlagParsing(t *testing.T) {
	o, err := parseOptions([]string{"-proxies", "strait,nginx", "-engine", "epoll=/tmp/p/epoll", "-engine", "uring=/x/uring"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := []engineSpec{{"epoll", "/tmp/p/epoll"}, {"uring", "/x/uring"}}
	if !slices.Equal(o.Engines, want) {
		t.Errorf("engines = %v, want %v", o.Engines, want)
	}
	if got := []string{nameStrait, nameNginx, "epoll", "uring"}; !slices.Equal(o.Targets, got) {
		t.Errorf("targets = %v, want %v", o.Targets, got)
	}
	for _, bad := range [][]string{
		{"-engine", "epoll"},                   // no path
		{"-engine", "epoll="},                  // empty path
		{"-engine", "=/bin/x"},                 // no name
		{"-engine", "Bad Name=/bin/x"},         // not a column name
		{"-engine", "nginx=/bin/x"},            // built-in target
		{"-engine", "a=/x", "-engine", "a=/y"}, // twice
	} {
		if _, err := parseOptions(bad, io.Discard); err == nil {
			t.Errorf("parseOptions(%q) accepted it", bad)
		}
	}
	if o, err := parseOptions(nil, io.Discard); err != nil || len(o.Engines) != 0 {
		t.Errorf("no -engine: engines %v, err %v", o.Engines, err)
	}
}

func TestEnginesRunOnlyPlainTCPScenarios(t *testing.T) {
	eng := engineTarget(engineSpec{Name: "epoll", Path: "/bin/true"})
	var ran []string
	for _, sc := range scenarioTable() {
		if sc.runsOn(eng) {
			ran = append(ran, sc.Name)
		}
		if !sc.runsOn(target{Name: nameStrait, start: eng.start}) {
			t.Errorf("strait skips %s", sc.Name)
		}
		if got, want := sc.runsOn(target{Name: nameHAProxy, start: eng.start}), sc.Name != "udp"; got != want {
			t.Errorf("haproxy runs %s: %v, want %v", sc.Name, got, want)
		}
		if got, want := sc.runsOn(directTarget()), sc.Name != "idle-memory"; got != want {
			t.Errorf("direct runs %s: %v, want %v", sc.Name, got, want)
		}
	}
	if !slices.Equal(ran, []string{"plain"}) {
		t.Errorf("engine runs %v, want only plain", ran)
	}
	routes, _ := testRoutes()
	for _, r := range routes {
		if r.plainTCP() != (!r.TLS && !r.UDP) {
			t.Errorf("route %s plainTCP = %v", r.ID, r.plainTCP())
		}
	}
}

func TestMarkdownMarksEngineCellsNotApplicable(t *testing.T) {
	metrics := []metric{
		{ID: "req-rps", Label: "tls rps", Higher: true},
		{ID: "plain-rps", Label: "plain rps", Higher: true},
		{ID: "plain-cpu", Label: "plain cpu"},
	}
	med := map[string]map[string]float64{
		"req-rps":   {nameStrait: 10, nameNginx: 10},
		"plain-rps": {nameStrait: 10, nameNginx: 20, "epoll": 30},
		"plain-cpu": {nameStrait: 2, nameNginx: 1}, // epoll failed here
	}
	tb := buildTable(metrics, med, []string{nameStrait, nameNginx, "epoll"})
	tb.PlainOnly = []string{"epoll"}
	lines := strings.Split(strings.TrimSpace(tb.markdown(nil)), "\n")
	want := []string{
		"| tls rps | 10 | 10 | n/a | 1.00× |  |  |",
		"| plain rps | 10 | 20 | 30 | 0.50× |  |  |",
		"| plain cpu ↓ | 2 | 1 | — | 2.00× |  |  |",
	}
	if len(lines) != 2+len(want) {
		t.Fatalf("got %d lines:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	for i, w := range want {
		if lines[2+i] != w {
			t.Errorf("row %d:\n got %s\nwant %s", i, lines[2+i], w)
		}
	}
	rt := strings.Split(strings.TrimSpace(tb.ratiosTo(nameNginx)), "\n")
	wantRT := []string{
		"| metric | strait | epoll |",
		"| --- | --- | --- |",
		"| plain rps | 0.50× | 1.50× |",
		"| plain cpu ↓ | 2.00× | — |",
	}
	if !slices.Equal(rt, wantRT) {
		t.Errorf("ratios to nginx:\n%s\nwant\n%s", strings.Join(rt, "\n"), strings.Join(wantRT, "\n"))
	}
}

func TestEngineGetsOnlyPlainTCPRoutes(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "engine")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\necho \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := engineBinary(bin); err != nil {
		t.Fatal(err)
	}
	if err := engineBinary(dir); err == nil {
		t.Error("a directory passed as engine binary")
	}
	routes, listen := testRoutes()
	routes[routeDNSQuery] = route{ID: routeDNSQuery, Upstream: "127.0.0.1:5353", UDP: true}
	listen[routeDNSQuery] = "127.0.0.1:9053"
	w := &world{sup: newSupervisor(), routes: routes}
	defer w.sup.stopAll()
	p, err := engineTarget(engineSpec{Name: "sh", Path: bin}).start(context.Background(), w, dir, listen)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatal("engine script did not exit")
	}
	out, err := os.ReadFile(filepath.Join(dir, "stdout.log"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, r := range routes.sorted() {
		if !r.TLS && !r.UDP {
			want = append(want, "-route "+listen[r.ID]+"="+r.Upstream)
		}
	}
	if len(want) == 0 {
		t.Fatal("test routes have no plain TCP route")
	}
	if got := strings.TrimSpace(string(out)); got != strings.Join(want, " ") {
		t.Errorf("engine arguments:\n got %s\nwant %s", got, strings.Join(want, " "))
	}
}
