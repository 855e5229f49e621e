package accesslog

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/vars"
)

// manualTimer stands in for time.AfterFunc so flush-interval tests fire the
// timer by hand instead of sleeping.
type manualTimer struct {
	mu      sync.Mutex
	armed   []time.Duration
	fire    func()
	stopped int
}

func (m *manualTimer) after(d time.Duration, f func()) func() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.armed = append(m.armed, d)
	m.fire = f
	return func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.stopped++
		m.fire = nil
		return true
	}
}

func (m *manualTimer) trigger(t *testing.T) {
	t.Helper()
	m.mu.Lock()
	f := m.fire
	m.fire = nil
	m.mu.Unlock()
	if f == nil {
		t.Fatal("no flush timer armed")
	}
	f()
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestUnbufferedWriterWritesEachLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	w, err := Open(path, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("one\n"))
	if got := readFile(t, path); got != "one\n" {
		t.Fatalf("after first write: %q", got)
	}
	w.Write([]byte("two\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("after close\n"))
	if got := readFile(t, path); got != "one\ntwo\n" {
		t.Fatalf("got %q", got)
	}
}

func TestBufferedWriterFlushesWhenFull(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	w, err := Open(path, WriterOptions{Buffer: 16})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		line, want string
	}{
		{"aaaaaa\n", ""},                     // 7 of 16 buffered
		{"bbbbbb\n", ""},                     // 14 of 16 buffered
		{"cccccc\n", "aaaaaa\nbbbbbb\n"},     // does not fit: the first two go out
		{strings.Repeat("L", 20) + "\n", ""}, // longer than the buffer: flush, then direct
	}
	steps[3].want = "aaaaaa\nbbbbbb\ncccccc\n" + steps[3].line
	for _, st := range steps {
		w.Write([]byte(st.line))
		if got := readFile(t, path); got != st.want {
			t.Fatalf("after %q: file %q, want %q", st.line, got, st.want)
		}
	}
	w.Write([]byte("tail\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); !strings.HasSuffix(got, "LLLL\ntail\n") {
		t.Fatalf("close did not flush: %q", got)
	}
}

func TestBufferedWriterFlushInterval(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	timer := &manualTimer{}
	w, err := open(path, WriterOptions{Buffer: 1024, Flush: 5 * time.Second}, timer.after)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	w.Write([]byte("one\n"))
	w.Write([]byte("two\n"))
	if len(timer.armed) != 1 || timer.armed[0] != 5*time.Second {
		t.Fatalf("timer armed %v, want once for 5s", timer.armed)
	}
	if got := readFile(t, path); got != "" {
		t.Fatalf("flushed before the interval: %q", got)
	}
	timer.trigger(t)
	if got := readFile(t, path); got != "one\ntwo\n" {
		t.Fatalf("after interval: %q", got)
	}
	w.Write([]byte("three\n"))
	if len(timer.armed) != 2 {
		t.Fatalf("timer not re-armed after flush: %v", timer.armed)
	}
	// An explicit flush disarms the timer.
	w.Flush()
	if timer.stopped != 1 || timer.fire != nil {
		t.Fatalf("flush left the timer armed (stopped %d)", timer.stopped)
	}
	if got := readFile(t, path); got != "one\ntwo\nthree\n" {
		t.Fatalf("after flush: %q", got)
	}
}

func TestBufferedWriterRealTimer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	w, err := Open(path, WriterOptions{Buffer: 1024, Flush: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.Write([]byte("one\n"))
	// Bounded wait for the timer goroutine; this checks that it fires, not how fast.
	deadline := time.Now().Add(10 * time.Second)
	for readFile(t, path) != "one\n" {
		if time.Now().After(deadline) {
			t.Fatal("flush timer never fired")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestOpenRejectsFlushWithoutBuffer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	_, err := Open(path, WriterOptions{Flush: time.Second})
	want := fmt.Sprintf("no buffer is defined for access_log %q", path)
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "missing", "x.log"), WriterOptions{}); err == nil {
		t.Fatal("opening in a missing directory succeeded")
	}
}

func TestReopenAfterRename(t *testing.T) {
	for _, buffer := range []int{0, 4096} {
		t.Run(fmt.Sprintf("buffer=%d", buffer), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "access.log")
			rotated := path + ".1"
			w, err := Open(path, WriterOptions{Buffer: buffer})
			if err != nil {
				t.Fatal(err)
			}
			w.Write([]byte("before\n"))
			if err := os.Rename(path, rotated); err != nil {
				t.Fatal(err)
			}
			w.Write([]byte("renamed\n")) // still the old file, as in nginx
			if err := w.Reopen(); err != nil {
				t.Fatal(err)
			}
			w.Write([]byte("after\n"))
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, rotated); got != "before\nrenamed\n" {
				t.Errorf("rotated file %q", got)
			}
			if got := readFile(t, path); got != "after\n" {
				t.Errorf("new file %q", got)
			}
		})
	}
}

func TestReopenFailureKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "logs")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(sub, "access.log")
	w, err := Open(path, WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	moved := filepath.Join(dir, "moved")
	if err := os.Rename(sub, moved); err != nil {
		t.Fatal(err)
	}
	if err := w.Reopen(); err == nil {
		t.Fatal("reopen into a missing directory succeeded")
	}
	w.Write([]byte("still logging\n"))
	if got := readFile(t, filepath.Join(moved, "access.log")); got != "still logging\n" {
		t.Fatalf("got %q", got)
	}
}

func TestFilesSharePaths(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	var fs Files
	a, err := fs.Get(path, WriterOptions{Buffer: 64})
	if err != nil {
		t.Fatal(err)
	}
	b, err := fs.Get(filepath.Join(dir, ".", "access.log"), WriterOptions{Buffer: 64})
	if err != nil {
		t.Fatal(err)
	}
	c, err := fs.Get(path, WriterOptions{}) // no buffer of its own: shares the buffered one
	if err != nil {
		t.Fatal(err)
	}
	if a != b || a != c {
		t.Fatal("same path gave different writers")
	}
	_, err = fs.Get(path, WriterOptions{Buffer: 128})
	want := fmt.Sprintf("access_log %q already defined with conflicting parameters", path)
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
	other, err := fs.Get(filepath.Join(dir, "other.log"), WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if other == a {
		t.Fatal("different paths share a writer")
	}

	a.Write([]byte("one\n"))
	other.Write([]byte("x\n"))
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := fs.ReopenAll(); err != nil {
		t.Fatal(err)
	}
	a.Write([]byte("two\n"))
	if err := fs.CloseAll(); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path+".1"); got != "one\n" {
		t.Errorf("rotated %q", got)
	}
	if got := readFile(t, path); got != "two\n" {
		t.Errorf("reopened %q", got)
	}
	if got := readFile(t, filepath.Join(dir, "other.log")); got != "x\n" {
		t.Errorf("other %q", got)
	}
	d, err := fs.Get(path, WriterOptions{})
	if err != nil || d == a {
		t.Fatalf("after CloseAll Get returned %p (old %p), %v", d, a, err)
	}
	d.Close()
}

func TestLogConcurrentRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log")
	w, err := Open(path, WriterOptions{Buffer: 1000})
	if err != nil {
		t.Fatal(err)
	}
	f, err := Compile(registry(t), proxyFormat+` $connection`, "default")
	if err != nil {
		t.Fatal(err)
	}
	l := &Log{Format: f, Writer: w}
	const workers, perWorker = 8, 250
	var wg sync.WaitGroup
	for g := range workers {
		wg.Go(func() {
			for i := range perWorker {
				s := twoAttempts()
				s.Connection = uint64(g*perWorker + i)
				l.Record(s)
				if i%50 == 0 {
					_ = w.Reopen()
				}
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(readFile(t, path), "\n"), "\n")
	if len(lines) != workers*perWorker {
		t.Fatalf("%d lines, want %d", len(lines), workers*perWorker)
	}
	seen := make(map[string]bool, len(lines))
	prefix := `127.0.0.1 [29/Nov/2026:11:04:01 +0000] TCP 200 4096 120 1.234 "10.0.0.1:9000, 10.0.0.2:9000" "0, 120" "0, 4096" "-, 0.001" `
	for _, line := range lines {
		conn, ok := strings.CutPrefix(line, prefix)
		if !ok || seen[conn] {
			t.Fatalf("torn or duplicate line %q", line)
		}
		seen[conn] = true
	}
}

func TestLogCondition(t *testing.T) {
	var loggable string
	reg := registry(t, vars.Definition{Name: "loggable", Get: func(dst []byte, _ *vars.Session) ([]byte, bool) {
		return append(dst, loggable...), true
	}})
	cond, err := CompileCondition(reg, "$loggable")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CompileCondition(reg, "$nope"); err == nil || err.Error() != `unknown "nope" variable` {
		t.Fatalf("unknown variable in if=: %v", err)
	}
	f, err := Compile(reg, "$status", "default")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for _, v := range []string{"", "0", "1", "00", "yes"} {
		path := filepath.Join(t.TempDir(), "access.log")
		w, err := Open(path, WriterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s := denied()
		loggable = v
		(&Log{Format: f, Writer: w, If: cond}).Record(s)
		w.Close()
		fmt.Fprintf(&out, "%q:%q ", v, readFile(t, path))
	}
	want := `"":"" "0":"" "1":"403\n" "00":"403\n" "yes":"403\n" `
	if out.String() != want {
		t.Fatalf("got  %s\nwant %s", out.String(), want)
	}
}
