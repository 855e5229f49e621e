package accesslog

import (
	"container/list"
	"errors"
	"io/fs"
	"os"
	"sync"
	"syscall"
	"time"
)

// CacheOptions are the open_log_file_cache parameters.
type CacheOptions struct {
	Max      int           // descriptors kept at most; the least recently used goes first
	Inactive time.Duration // an entry not used for longer is dropped
	MinUses  int           // uses (within Inactive) before a descriptor is kept open
	Valid    time.Duration // how long a descriptor is trusted before the name is checked again
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// FileCache is open_log_file_cache, shaped after ngx_open_cached_file
// with of.log set: descriptors of files opened for appending, by the
// evaluated path. It is safe for concurrent use; a descriptor in use by a
// write is closed only once that write has released it.
type FileCache struct {
	opts CacheOptions

	mu      sync.Mutex
	entries map[string]*cacheEntry
	lru     list.List // of *cacheEntry, most recently used first
	closed  bool      // after Close every acquire opens a file of its own
}

type cacheEntry struct {
	name     string
	h        *handle // nil while the name was used fewer than MinUses times
	id       fileID
	uses     int
	created  time.Time // when h was opened or last found unchanged
	accessed time.Time
	elem     *list.Element
}

// handle is one descriptor with the writes using it. It is closed when
// it is both dropped from the cache and no longer in use.
type handle struct {
	f       *os.File
	refs    int
	dropped bool
}

// fileID is what nginx compares to tell whether the name still names
// the opened file (ngx_file_uniq, the inode; the device as well here).
type fileID struct{ dev, ino uint64 }

// NewFileCache returns an empty cache.
func NewFileCache(opts CacheOptions) *FileCache {
	if opts.MinUses < 1 {
		opts.MinUses = 1
	}
	return &FileCache{opts: opts, entries: map[string]*cacheEntry{}}
}

func (c *FileCache) now() time.Time {
	if c.opts.Now != nil {
		return c.opts.Now()
	}
	return time.Now()
}

// lease is a descriptor handed to one write; release gives it back.
type lease struct {
	f       *os.File
	release func()
}

// openLease opens name for one write and closes it on release: no
// cache (open_log_file_cache off) or a closed one.
func openLease(name string) (lease, error) {
	f, err := openAppend(name)
	if err != nil {
		return lease{}, err
	}
	return lease{f: f, release: func() { f.Close() }}, nil
}

// acquire returns a descriptor for appending to name. Errors are worded
// as nginx words them: open() "x" failed (...), stat() "x" failed (...).
// The caller writes and then calls release, once.
func (c *FileCache) acquire(name string) (lease, error) {
	if c == nil {
		return openLease(name)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return openLease(name)
	}
	now := c.now()
	e, ok := c.entries[name]
	if ok {
		e.uses++
		if err := c.refresh(e, now); err != nil {
			c.remove(e)
			return lease{}, err
		}
	} else {
		f, id, err := openID(name)
		if err != nil {
			return lease{}, err // failures are not cached (no of.errors)
		}
		if len(c.entries) >= c.opts.Max {
			c.expire(now, true)
		}
		e = &cacheEntry{name: name, h: &handle{f: f}, id: id, uses: 1, created: now}
		e.elem = c.lru.PushFront(e)
		c.entries[name] = e
	}
	e.accessed = now
	c.lru.MoveToFront(e.elem)
	h := e.h
	h.refs++
	return lease{f: h.f, release: func() { c.release(e, h) }}, nil
}

// refresh makes e.h a descriptor to use now: it opens one when the name
// was not used often enough to keep it, and after Valid it checks that
// the name still names the open file, reopening when it changed (log
// rotation).
func (c *FileCache) refresh(e *cacheEntry, now time.Time) error {
	if e.h == nil {
		f, id, err := openID(e.name)
		if err != nil {
			return err
		}
		e.h, e.id, e.created = &handle{f: f}, id, now
		return nil
	}
	if now.Sub(e.created) < c.opts.Valid {
		return nil
	}
	fi, err := os.Stat(e.name)
	switch {
	case err == nil && idOf(fi) == e.id:
		e.created = now
		return nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return &pathError{"stat()", e.name, err}
	}
	// Renamed away or replaced: a fresh file under the name. nginx
	// loses the line when the name is gone (its stat() fails); strait
	// creates the file, as a reopen would.
	f, id, err := openID(e.name)
	if err != nil {
		return err
	}
	c.drop(e.h)
	e.h, e.id, e.created = &handle{f: f}, id, now
	return nil
}

// release ends one write's use of h, closing the descriptor when the
// cache no longer holds it or when the name is not used often enough
// to keep it (ngx_close_cached_file), then drops up to two entries
// inactive for too long, as nginx does after each use.
func (c *FileCache) release(e *cacheEntry, h *handle) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h.refs--
	switch {
	case h.dropped:
		if h.refs == 0 {
			h.f.Close()
		}
	case e.h == h && h.refs == 0 && e.uses < c.opts.MinUses:
		h.f.Close()
		e.h = nil
	}
	if !c.closed {
		c.expire(c.now(), false)
	}
}

// expire is ngx_expire_old_cached_files: force drops the least recently
// used entry first; then up to two (one when forced) are dropped while
// the oldest has been inactive for longer than Inactive.
func (c *FileCache) expire(now time.Time, force bool) {
	n := 1
	if force {
		n = 0
	}
	for ; n < 3; n++ {
		back := c.lru.Back()
		if back == nil {
			return
		}
		e := back.Value.(*cacheEntry)
		if n != 0 && now.Sub(e.accessed) <= c.opts.Inactive {
			return
		}
		c.remove(e)
	}
}

func (c *FileCache) remove(e *cacheEntry) {
	delete(c.entries, e.name)
	c.lru.Remove(e.elem)
	c.drop(e.h)
	e.h = nil
}

// drop lets go of h: closed now, or by the last write using it.
func (c *FileCache) drop(h *handle) {
	if h == nil {
		return
	}
	h.dropped = true
	if h.refs == 0 {
		h.f.Close()
	}
}

// Reset drops every entry (USR1): the next record of each name opens
// the file anew, so rotated logs are let go.
func (c *FileCache) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.resetLocked()
}

func (c *FileCache) resetLocked() {
	for _, e := range c.entries {
		c.drop(e.h)
	}
	c.entries = map[string]*cacheEntry{}
	c.lru.Init()
}

// Close drops every entry for good (reload, exit): records still made
// through this cache by sessions of an old configuration open and close
// their file each time, so nothing stays open behind it.
func (c *FileCache) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	c.resetLocked()
}

// Len is how many names the cache holds.
func (c *FileCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// openID opens name for appending and reads its identity.
func openID(name string) (*os.File, fileID, error) {
	f, err := openAppend(name)
	if err != nil {
		return nil, fileID{}, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fileID{}, &pathError{"fstat()", name, err}
	}
	return f, idOf(fi), nil
}

func idOf(fi fs.FileInfo) fileID {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino)}
	}
	return fileID{}
}
