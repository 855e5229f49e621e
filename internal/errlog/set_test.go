package errlog

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestSetOpensEachPathOnce(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "error.log")
	var stderr bytes.Buffer
	set := NewSet(SetOptions{PID: 1, Now: fixedClock, Stderr: &stderr})
	mainLog, err := set.Logger([]Target{{Path: path, Level: LevelError}, {Path: "stderr", Level: LevelWarn}})
	if err != nil {
		t.Fatal(err)
	}
	serverLog, err := set.Logger([]Target{{Path: path, Level: LevelInfo}})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.order) != 1 || !set.ToStderr() {
		t.Fatalf("%d files open for one path (stderr %v)", len(set.order), set.ToStderr())
	}
	mainLog.Warn("main warning")
	mainLog.Error("main error")
	serverLog.Info("server info")

	// A rotated file is reopened once for every logger writing to it.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := set.Reopen(); err != nil {
		t.Fatal(err)
	}
	serverLog.Info("after reopen")

	line := func(level, msg string) string { return "2026/11/29 11:04:01 [" + level + "] 1#1: " + msg + "\n" }
	if got, want := read(t, path+".1"), line("error", "main error")+line("info", "server info"); got != want {
		t.Errorf("rotated file:\n%q\nwant\n%q", got, want)
	}
	if got, want := stderr.String(), line("warn", "main warning")+line("error", "main error"); got != want {
		t.Errorf("stderr:\n%q\nwant\n%q", got, want)
	}

	// The files stay open until the last user releases the set.
	set.Retain()
	if err := set.Release(); err != nil {
		t.Fatal(err)
	}
	serverLog.Info("still open")
	if err := set.Release(); err != nil {
		t.Fatal(err)
	}
	serverLog.Info("closed")
	if got, want := read(t, path), line("info", "after reopen")+line("info", "still open"); got != want {
		t.Errorf("new file:\n%q\nwant\n%q", got, want)
	}
}

func TestSetOpenFailsLikeNginx(t *testing.T) {
	dir := t.TempDir()
	set := NewSet(SetOptions{})
	defer set.Release()
	bad := filepath.Join(dir, "no", "such", "dir", "e.log")
	err := set.Open([]Target{{Path: filepath.Join(dir, "ok.log")}, {Path: bad}})
	want := `open() "` + bad + `" failed (2: No such file or directory)`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "ok.log")); err != nil {
		t.Errorf("nginx creates the files it can open before a failure: %v", err)
	}
}

func TestSwitchFollowsReplace(t *testing.T) {
	var a, b bytes.Buffer
	released := 0
	sw := NewSwitch(NewHandler(&a, LevelInfo, Options{PID: 1, Now: fixedClock}))
	log := slog.New(sw)
	derived := log.With("client", "127.0.0.1").WithGroup("g")
	log.Info("one")
	derived.Info("two", "k", "v")

	sw.Replace(NewHandler(&b, LevelWarn, Options{PID: 1, Now: fixedClock}), func() { released++ })
	log.Info("filtered by the new level")
	log.Warn("three")
	derived.Warn("four", "k", "v")
	if released != 0 {
		t.Fatal("the current handler was released")
	}
	sw.Close()
	if released != 1 {
		t.Fatalf("Close released %d times, want 1", released)
	}
	log.Warn("after close")

	line := func(level, msg string) string { return "2026/11/29 11:04:01 [" + level + "] 1#1: " + msg + "\n" }
	if got, want := a.String(), line("info", "one")+line("info", "two, client: 127.0.0.1, g.k: v"); got != want {
		t.Errorf("first handler:\n%q\nwant\n%q", got, want)
	}
	if got, want := b.String(), line("warn", "three")+line("warn", "four, client: 127.0.0.1, g.k: v"); got != want {
		t.Errorf("second handler:\n%q\nwant\n%q", got, want)
	}
	if strings.Contains(a.String()+b.String(), "after close") {
		t.Error("a record was written after Close")
	}
}

// closable is a writer that counts writes made after it was closed.
type closable struct {
	mu     sync.Mutex
	closed bool
	late   int
}

func (c *closable) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		c.late++
	}
	return len(p), nil
}

func (c *closable) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
}

func TestSwitchNeverWritesToAReleasedHandler(t *testing.T) {
	first := &closable{}
	sw := NewSwitch(NewHandler(first, LevelInfo, Options{PID: 1}))
	all := []*closable{first}
	log := slog.New(sw).With("conn", 1)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := range 500 {
				log.Info("x", "i", i)
			}
		})
	}
	prev := first
	for range 100 {
		next := &closable{}
		all = append(all, next)
		old := prev
		sw.Replace(NewHandler(next, LevelInfo, Options{PID: 1}), nil)
		old.close() // what releasing the old files does
		prev = next
	}
	wg.Wait()
	for i, c := range all {
		if c.late != 0 {
			t.Fatalf("handler %d got %d writes after it was replaced", i, c.late)
		}
	}
}
