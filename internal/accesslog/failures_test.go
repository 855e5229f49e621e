package accesslog

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock that tests move by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 29, 11, 4, 1, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// reports collects what a writer hands to OnError.
type reports struct {
	mu   sync.Mutex
	errs []string
}

func (r *reports) add(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, err.Error())
}

func (r *reports) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.errs
	r.errs = nil
	return out
}

// openDevFull opens the device whose every write fails with ENOSPC, as
// on a full disk.
func openDevFull(t *testing.T) *os.File {
	t.Helper()
	f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("this system has no /dev/full to simulate a full disk: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

const fullDisk = `write() to "/dev/full" failed (28: No space left on device)`

func TestFullDiskIsReportedOncePerInterval(t *testing.T) {
	openDevFull(t)
	clock, out := newFakeClock(), &reports{}
	w, err := Open("/dev/full", WriterOptions{Now: clock.Now, OnError: out.add})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var got []string
	for range 500 {
		if err := w.Write([]byte("127.0.0.1 200\n")); err != nil {
			got = append(got, err.Error())
		}
	}
	if len(got) != 1 || got[0] != fullDisk {
		t.Fatalf("500 failed writes reported %q, want once %q", got, fullDisk)
	}

	clock.advance(ReportInterval - time.Second)
	if err := w.Write([]byte("x\n")); err != nil {
		t.Fatalf("reported again before the interval passed: %v", err)
	}
	clock.advance(time.Second)
	err = w.Write([]byte("x\n"))
	want := `501 more writes to "/dev/full" failed (28: No space left on device)`
	if err == nil || err.Error() != want {
		t.Fatalf("after the interval: %v, want %q", err, want)
	}
	if err := w.Write([]byte("x\n")); err != nil {
		t.Fatalf("reported twice in one interval: %v", err)
	}
	if r := out.take(); len(r) != 0 {
		t.Fatalf("session writes reported through OnError: %q", r)
	}
}

func TestWritesSucceedingAgainEndTheFailure(t *testing.T) {
	full := openDevFull(t)
	path := filepath.Join(t.TempDir(), "access.log")
	out := &reports{}
	w, err := Open(path, WriterOptions{Now: newFakeClock().Now, OnError: out.add})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	healthy := w.file
	fail := func() []string {
		// The disk fills up: the same writer's file starts refusing.
		w.mu.Lock()
		w.file = full
		w.mu.Unlock()
		var got []string
		for range 3 {
			if err := w.Write([]byte("lost\n")); err != nil {
				got = append(got, err.Error())
			}
		}
		w.mu.Lock()
		w.file = healthy
		w.mu.Unlock()
		return got
	}
	failed := `write() to "` + path + `" failed (28: No space left on device)`
	if got := fail(); len(got) != 1 || got[0] != failed {
		t.Fatalf("first failures reported %q, want %q", got, failed)
	}
	if err := w.Write([]byte("kept\n")); err != nil {
		t.Fatalf("successful write returned %v", err)
	}
	summary := `2 more writes to "` + path + `" failed (28: No space left on device)`
	if got := out.take(); len(got) != 1 || got[0] != summary {
		t.Fatalf("recovery reported %q, want %q", got, summary)
	}
	// A new failure after a success is reported at once, without waiting
	// for the interval.
	if got := fail(); len(got) != 1 || got[0] != failed {
		t.Fatalf("failures after recovery reported %q, want %q", got, failed)
	}
	if got := readFile(t, path); got != "kept\n" {
		t.Fatalf("file %q", got)
	}
}

func TestFailedFlushesAreReportedOncePerInterval(t *testing.T) {
	openDevFull(t)
	clock, out, timer := newFakeClock(), &reports{}, &manualTimer{}
	w, err := open("/dev/full", WriterOptions{Buffer: 1024, Flush: time.Second, Now: clock.Now, OnError: out.add}, timer.after)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := w.Write([]byte("queued\n")); err != nil {
			t.Fatalf("a buffered write reported %v", err)
		}
		timer.trigger(t)
	}
	if got := out.take(); len(got) != 1 || got[0] != fullDisk {
		t.Fatalf("three failed flushes reported %q, want once %q", got, fullDisk)
	}
	clock.advance(ReportInterval)
	w.Write([]byte("queued\n"))
	w.Close()
	want := `3 more writes to "/dev/full" failed (28: No space left on device)`
	if got := out.take(); len(got) != 1 || got[0] != want {
		t.Fatalf("flush on close reported %q, want %q", got, want)
	}
}

func TestOpenFailureIsWordedLikeNginx(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "dir", "access.log")
	var fs Files
	_, err := fs.Get(path, WriterOptions{})
	want := `open() "` + path + `" failed (2: No such file or directory)`
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%v does not wrap the cause", err)
	}
}
