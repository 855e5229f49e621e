package errlog

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFileReopenAfterRename(t *testing.T) {
	path := filepath.Join(t.TempDir(), "error.log")
	f, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(NewHandler(f, LevelInfo, Options{PID: 1, Now: fixedClock}))
	logger.Info("before")
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	logger.Info("renamed")
	if err := f.Reopen(); err != nil {
		t.Fatal(err)
	}
	logger.Info("after")
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	line := func(msg string) string { return "2026/11/29 11:04:01 [info] 1#1: " + msg + "\n" }
	if got, want := read(t, path+".1"), line("before")+line("renamed"); got != want {
		t.Errorf("rotated file %q, want %q", got, want)
	}
	if got, want := read(t, path), line("after"); got != want {
		t.Errorf("new file %q, want %q", got, want)
	}
}

func TestFileReopenFailureKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "logs")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := OpenFile(filepath.Join(sub, "error.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := os.Rename(sub, filepath.Join(dir, "moved")); err != nil {
		t.Fatal(err)
	}
	if err := f.Reopen(); err == nil {
		t.Fatal("reopen into a missing directory succeeded")
	}
	if _, err := f.Write([]byte("x\n")); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(dir, "moved", "error.log")); got != "x\n" {
		t.Fatalf("got %q", got)
	}
}

func TestOpenFileErrors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "error.log")
	_, err := OpenFile(path)
	want := `open() "` + path + `" failed (2: No such file or directory)`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
}

func TestStderrTarget(t *testing.T) {
	f, err := OpenFile("stderr")
	if err != nil {
		t.Fatal(err)
	}
	if f.f != os.Stderr {
		t.Fatal("stderr target does not write to standard error")
	}
	if err := f.Reopen(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if f.f != os.Stderr {
		t.Fatal("reopen replaced standard error")
	}
}

func TestConcurrentLinesNeverInterleave(t *testing.T) {
	path := filepath.Join(t.TempDir(), "error.log")
	f, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	base := slog.New(NewHandler(f, LevelInfo, Options{PID: 1, Now: fixedClock}))
	const workers, perWorker = 8, 200
	// Long messages make a torn write visible.
	body := strings.Repeat("x", 3000)
	var wg sync.WaitGroup
	for g := range workers {
		logger := base.With("conn", uint64(g))
		wg.Go(func() {
			for i := range perWorker {
				logger.Error(body, "i", i)
				if i%40 == 0 {
					_ = f.Reopen()
				}
			}
		})
	}
	wg.Wait()
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(read(t, path), "\n"), "\n")
	if len(lines) != workers*perWorker {
		t.Fatalf("%d lines, want %d", len(lines), workers*perWorker)
	}
	seen := make(map[string]bool)
	for _, line := range lines {
		var conn, i int
		rest, ok := strings.CutPrefix(line, "2026/11/29 11:04:01 [error] 1#1: *")
		if ok {
			_, err = fmt.Sscanf(rest, "%d "+body+", i: %d", &conn, &i)
		}
		if !ok || err != nil || seen[rest] || line != fmt.Sprintf("2026/11/29 11:04:01 [error] 1#1: *%d %s, i: %d", conn, body, i) {
			t.Fatalf("torn or duplicate line (%d bytes)", len(line))
		}
		seen[rest] = true
	}
}
