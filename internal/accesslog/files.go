package accesslog

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/straitproxy/strait/internal/syslog"
)

// Files is the process-wide registry of access log writers, so that every
// access_log naming the same path shares one file and one buffer. The zero
// value is ready to use.
type Files struct {
	mu      sync.Mutex
	writers map[string]*Writer
	peers   map[string]*syslog.Peer // syslog: targets, by their text
	caches  map[any]*FileCache      // open_log_file_cache, by the caller's key
	failing PathFailures            // files named with variables
}

// PathFailures spaces the failure reports of every file named with
// variables, so that one missing directory is reported once per
// interval whichever access_log lines name it.
func (fs *Files) PathFailures() *PathFailures { return &fs.failing }

// Cache returns the open_log_file_cache for key (the configuration's
// setting, shared by the server blocks that inherit it, as in nginx),
// creating it on first use.
func (fs *Files) Cache(key any, opts CacheOptions) *FileCache {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if c, ok := fs.caches[key]; ok {
		return c
	}
	c := NewFileCache(opts)
	if fs.caches == nil {
		fs.caches = make(map[any]*FileCache)
	}
	fs.caches[key] = c
	return c
}

// Syslog returns the peer for a syslog: target, creating it on first use,
// so every access_log naming the same target shares one socket.
func (fs *Files) Syslog(target string, opts syslog.Options) *syslog.Peer {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if p, ok := fs.peers[target]; ok {
		return p
	}
	p := syslog.New(opts)
	if fs.peers == nil {
		fs.peers = make(map[string]*syslog.Peer)
	}
	fs.peers[target] = p
	return p
}

// Get returns the writer for path, opening it on first use. A second request
// for the same path must agree on the buffer and flush settings, or leave
// them unset; otherwise (buffer, flush or gzip differ) it fails like nginx
// does.
func (fs *Files) Get(path string, opts WriterOptions) (*Writer, error) {
	if opts.Flush > 0 && opts.Buffer == 0 {
		return nil, fmt.Errorf("no buffer is defined for access_log %q", path)
	}
	key := filepath.Clean(path)
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if w, ok := fs.writers[key]; ok {
		if opts.Buffer != 0 && (opts.Buffer != w.opts.Buffer || opts.Flush != w.opts.Flush || opts.Gzip != w.opts.Gzip) {
			return nil, fmt.Errorf("access_log %q already defined with conflicting parameters", path)
		}
		return w, nil
	}
	w, err := Open(path, opts)
	if err != nil {
		return nil, err
	}
	if fs.writers == nil {
		fs.writers = make(map[string]*Writer)
	}
	fs.writers[key] = w
	return w, nil
}

// ReopenAll reopens every file (USR1) and empties the descriptor caches,
// so that rotated files named with variables are let go too. It tries
// all of them and returns the joined errors.
func (fs *Files) ReopenAll() error {
	fs.mu.Lock()
	for _, c := range fs.caches {
		c.Reset()
	}
	fs.mu.Unlock()
	var errs []error
	for _, w := range fs.snapshot() {
		if err := w.Reopen(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// CloseAll flushes and closes every file, closes the syslog sockets and
// the descriptor caches, and empties the registry.
func (fs *Files) CloseAll() error {
	fs.mu.Lock()
	ws, peers, caches := fs.writers, fs.peers, fs.caches
	fs.writers, fs.peers, fs.caches = nil, nil, nil
	fs.mu.Unlock()
	for _, c := range caches {
		c.Close()
	}
	var errs []error
	for _, p := range peers {
		if err := p.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	for _, w := range ws {
		if err := w.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (fs *Files) snapshot() []*Writer {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	ws := make([]*Writer, 0, len(fs.writers))
	for _, w := range fs.writers {
		ws = append(ws, w)
	}
	return ws
}
