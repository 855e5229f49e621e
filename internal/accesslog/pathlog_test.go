package accesslog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestPathWithVariablesWritesPerSession(t *testing.T) {
	dir := t.TempDir()
	reg := registry(t)
	f, err := Compile(reg, "$remote_addr $status", "default")
	if err != nil {
		t.Fatal(err)
	}
	path, err := reg.Compile(dir + "/$status.log")
	if err != nil {
		t.Fatal(err)
	}
	l := &Log{Format: f, Paths: &PathLog{Path: path}}
	for _, s := range []*Session{twoAttempts(), denied(), noLiveUpstreams()} {
		if err := l.Record(s); err != nil {
			t.Fatal(err)
		}
	}
	for name, want := range map[string]string{
		"200.log": "127.0.0.1 200\n",
		"403.log": "192.0.2.7 403\n",
		"502.log": "127.0.0.1 502\n",
	} {
		if got := readFile(t, filepath.Join(dir, name)); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

func TestMissingDirectoryIsReportedOncePerInterval(t *testing.T) {
	dir := t.TempDir()
	reg := registry(t, constant("sub", "missing", true))
	f, err := Compile(reg, "$status", "default")
	if err != nil {
		t.Fatal(err)
	}
	path, err := reg.Compile(dir + "/$sub/a.log")
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	l := &Log{Format: f, Paths: &PathLog{Path: path, Cache: NewFileCache(CacheOptions{Max: 10, Now: clk.now}), Now: clk.now}}
	name := filepath.Join(dir, "missing", "a.log")

	err = l.Record(denied())
	want := `open() "` + name + `" failed (2: No such file or directory)`
	if err == nil || err.Error() != want || !IsCrit(err) {
		t.Fatalf("first failure: %v (crit %v), want %s at crit", err, IsCrit(err), want)
	}
	for range 3 {
		clk.advance(time.Second)
		if err := l.Record(denied()); err != nil {
			t.Fatalf("repeated failure reported at once: %v", err)
		}
	}
	clk.advance(ReportInterval)
	err = l.Record(denied())
	want = `4 more opens of "` + name + `" failed (2: No such file or directory)`
	if err == nil || err.Error() != want || !IsCrit(err) {
		t.Fatalf("summary: %v, want %s at crit", err, want)
	}
	// The directory appears: the line is written and nothing is held.
	if err := os.Mkdir(filepath.Join(dir, "missing"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := l.Record(denied()); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
	if got := readFile(t, name); got != "403\n" {
		t.Fatalf("file = %q", got)
	}
	if len(l.Paths.own.failing) != 0 {
		t.Fatalf("healthy path keeps failure state: %v", l.Paths.own.failing)
	}
	l.Paths.Cache.Close()
}

func TestNulEndsTheEvaluatedPath(t *testing.T) {
	dir := t.TempDir()
	reg := registry(t, constant("v", "a.log\x00.ignored", true))
	f, _ := Compile(reg, "x", "default")
	path, err := reg.Compile(dir + "/$v")
	if err != nil {
		t.Fatal(err)
	}
	l := &Log{Format: f, Paths: &PathLog{Path: path}}
	if err := l.Record(denied()); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "a.log" || !strings.HasPrefix(readFile(t, filepath.Join(dir, "a.log")), "x") {
		t.Fatalf("files: %v", entries)
	}
}
