package accesslog

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// clock is a manual clock for the cache and the failure reports.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

// put writes text to name through the cache and returns the descriptor
// it used, to check later whether the cache closed it.
func put(t *testing.T, c *FileCache, name, text string) *os.File {
	t.Helper()
	l, err := c.acquire(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	l.release()
	return l.f
}

func isClosed(f *os.File) bool {
	_, err := f.Stat()
	return errors.Is(err, os.ErrClosed)
}

func newTestCache(opts CacheOptions) (*FileCache, *clock) {
	clk := &clock{t: time.Unix(1_800_000_000, 0)}
	opts.Now = clk.now
	if opts.Valid == 0 {
		opts.Valid = 60 * time.Second
	}
	if opts.Inactive == 0 {
		opts.Inactive = 10 * time.Second
	}
	return NewFileCache(opts), clk
}

func TestFileCacheEvictsLeastRecentlyUsedAtMax(t *testing.T) {
	dir := t.TempDir()
	c, clk := newTestCache(CacheOptions{Max: 2})
	defer c.Close()
	a := put(t, c, filepath.Join(dir, "a"), "1\n")
	clk.advance(time.Second)
	b := put(t, c, filepath.Join(dir, "b"), "1\n")
	clk.advance(time.Second)
	put(t, c, filepath.Join(dir, "a"), "2\n") // a is now the most recent
	clk.advance(time.Second)
	put(t, c, filepath.Join(dir, "c"), "1\n")
	if c.Len() != 2 {
		t.Fatalf("cache holds %d names, want 2", c.Len())
	}
	if !isClosed(b) || isClosed(a) {
		t.Fatalf("closed: a %v, b %v; want b (least recently used) only", isClosed(a), isClosed(b))
	}
	if got := readFile(t, filepath.Join(dir, "a")); got != "1\n2\n" {
		t.Fatalf("a = %q", got)
	}
}

func TestFileCacheClosesInactiveDescriptors(t *testing.T) {
	dir := t.TempDir()
	c, clk := newTestCache(CacheOptions{Max: 10, Inactive: 10 * time.Second})
	defer c.Close()
	a := put(t, c, filepath.Join(dir, "a"), "x\n")
	clk.advance(10 * time.Second) // not longer than inactive: kept
	put(t, c, filepath.Join(dir, "b"), "x\n")
	if isClosed(a) {
		t.Fatal("a closed after exactly inactive")
	}
	clk.advance(time.Second)
	b := put(t, c, filepath.Join(dir, "b"), "y\n")
	if !isClosed(a) || isClosed(b) {
		t.Fatalf("closed: a %v, b %v; want a only", isClosed(a), isClosed(b))
	}
	if c.Len() != 1 {
		t.Fatalf("cache holds %d names, want 1", c.Len())
	}
}

func TestFileCacheRechecksTheNameAfterValid(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "a.log")
	c, clk := newTestCache(CacheOptions{Max: 10, Inactive: time.Hour, Valid: 60 * time.Second})
	defer c.Close()
	first := put(t, c, name, "1\n")
	if err := os.Rename(name, name+".1"); err != nil {
		t.Fatal(err)
	}
	clk.advance(59 * time.Second)
	put(t, c, name, "2\n") // still valid: the renamed file
	clk.advance(time.Second)
	put(t, c, name, "3\n") // re-checked: the name is gone, a new file
	if !isClosed(first) {
		t.Fatal("the renamed file's descriptor is still open")
	}
	if got := readFile(t, name+".1"); got != "1\n2\n" {
		t.Fatalf("rotated file = %q", got)
	}
	if got := readFile(t, name); got != "3\n" {
		t.Fatalf("new file = %q", got)
	}

	// Rotation by rename with a new file created in its place
	// (logrotate's create): the re-check sees another inode.
	if err := os.Rename(name, name+".2"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	clk.advance(30 * time.Second)
	put(t, c, name, "4\n")
	clk.advance(30 * time.Second)
	put(t, c, name, "5\n")
	if got := readFile(t, name+".2"); got != "3\n4\n" {
		t.Fatalf("second rotated file = %q", got)
	}
	if got := readFile(t, name); got != "5\n" {
		t.Fatalf("created file = %q", got)
	}
}

func TestFileCacheKeepsDescriptorsAfterMinUses(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "a")
	c, clk := newTestCache(CacheOptions{Max: 10, MinUses: 2})
	defer c.Close()
	if f := put(t, c, name, "1\n"); !isClosed(f) {
		t.Fatal("kept open after one use of min_uses=2")
	}
	clk.advance(time.Second)
	if f := put(t, c, name, "2\n"); isClosed(f) {
		t.Fatal("closed after the second use of min_uses=2")
	}
	// Unused for longer than inactive, the name starts counting again.
	clk.advance(11 * time.Second)
	put(t, c, filepath.Join(dir, "b"), "x\n")
	if f := put(t, c, name, "3\n"); !isClosed(f) {
		t.Fatal("kept open after one use following expiry")
	}
	if got := readFile(t, name); got != "1\n2\n3\n" {
		t.Fatalf("file = %q", got)
	}
}

func TestFileCacheKeepsADescriptorInUseOpen(t *testing.T) {
	dir := t.TempDir()
	c, _ := newTestCache(CacheOptions{Max: 1})
	l, err := c.acquire(filepath.Join(dir, "a"))
	if err != nil {
		t.Fatal(err)
	}
	put(t, c, filepath.Join(dir, "b"), "x\n") // evicts a while in use
	if _, err := l.f.WriteString("late\n"); err != nil {
		t.Fatalf("descriptor closed under a write: %v", err)
	}
	l.release()
	if !isClosed(l.f) {
		t.Fatal("evicted descriptor still open after its write")
	}
	c.Close()
	if c.Len() != 0 {
		t.Fatalf("closed cache holds %d names", c.Len())
	}
	// A closed cache (an old configuration's) opens per record.
	if f := put(t, c, filepath.Join(dir, "b"), "y\n"); !isClosed(f) || c.Len() != 0 {
		t.Fatal("closed cache kept a descriptor")
	}
	if got := readFile(t, filepath.Join(dir, "b")); got != "x\ny\n" {
		t.Fatalf("b = %q", got)
	}
}

func TestNoCacheOpensPerRecordWithNginxMode(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "a")
	var c *FileCache // open_log_file_cache off
	f := put(t, c, name, "1\n")
	if !isClosed(f) {
		t.Fatal("descriptor kept without a cache")
	}
	put(t, c, name, "2\n")
	if got := readFile(t, name); got != "1\n2\n" {
		t.Fatalf("file = %q", got)
	}
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm()&^0o644 != 0 {
		t.Fatalf("mode %v, want at most 0644", fi.Mode().Perm())
	}
}
