package errlog

import (
	"os"
	"sync"

	"github.com/straitproxy/strait/internal/ngxconf"
)

// File is an error_log target: a path that Reopen opens again (USR1, after
// rotation), or the process's standard error for "stderr". It is an
// io.Writer safe for concurrent use; each Write is one write call.
type File struct {
	path string // "" for standard error

	mu sync.Mutex
	f  *os.File
}

// OpenFile opens path for appending, creating it if needed. The name
// "stderr" (as in error_log stderr) writes to the process's standard error,
// which Reopen and Close leave alone.
func OpenFile(path string) (*File, error) {
	if path == "stderr" {
		return &File{f: os.Stderr}, nil
	}
	f, err := openAppend(path)
	if err != nil {
		return nil, err
	}
	return &File{path: path, f: f}, nil
}

func openAppend(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, &ngxconf.OpenError{Path: path, Err: err}
	}
	return f, nil
}

// Write writes p with a single write call.
func (f *File) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.f.Write(p)
}

// Reopen opens the path again and swaps it in; on failure the old file stays.
func (f *File) Reopen() error {
	if f.path == "" {
		return nil
	}
	nf, err := openAppend(f.path)
	if err != nil {
		return err
	}
	f.mu.Lock()
	old := f.f
	f.f = nf
	f.mu.Unlock()
	return old.Close()
}

// Close closes the file (never standard error).
func (f *File) Close() error {
	if f.path == "" {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.f.Close()
}
