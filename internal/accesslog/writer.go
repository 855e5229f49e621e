package accesslog

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/straitproxy/strait/internal/ngxconf"
)

// WriterOptions are the access_log buffer=, flush= and gzip= parameters.
type WriterOptions struct {
	Buffer int           // buffer size in bytes; 0 writes every line at once
	Flush  time.Duration // longest time a line may wait in the buffer; needs Buffer
	// Gzip is the compression level (1-9) of every write, 0 for none.
	// Like nginx, each flushed buffer becomes one gzip member appended to
	// the file, so zcat reads the whole file and a crash loses at most
	// one buffer.
	Gzip int
	// OnError receives the reports about failed writes that no session's
	// Write returns: those of flushes by the timer, Reopen and Close, and
	// the summary made when writes succeed again (see failureReports).
	// nginx logs them as alerts. Nil drops them.
	OnError func(error)
	// Now is the clock that spaces the reports; nil means time.Now.
	Now func() time.Time
}

// afterFunc arms a one-shot timer; the returned function stops it. It is
// time.AfterFunc in production and a manual trigger in tests.
type afterFunc func(d time.Duration, f func()) (stop func() bool)

func realAfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}

// Writer is one access_log target. It is shared by every session and every
// access_log naming the same path, and is safe for concurrent use.
type Writer struct {
	path  string
	opts  WriterOptions
	after afterFunc
	lines sync.Pool // *[]byte scratch buffers for Log.Record

	mu        sync.Mutex
	file      *os.File
	buf       []byte
	stopTimer func() bool // non-nil while a flush timer is armed
	closed    bool
	failures  failureReports
	gz        *gzip.Writer // reused for every member when Gzip > 0
	zbuf      bytes.Buffer
}

// Open opens (creating if needed) path for appending.
func Open(path string, opts WriterOptions) (*Writer, error) {
	return open(path, opts, realAfterFunc)
}

func open(path string, opts WriterOptions, after afterFunc) (*Writer, error) {
	if opts.Buffer < 0 {
		return nil, fmt.Errorf("access log %q: negative buffer size %d", path, opts.Buffer)
	}
	if opts.Flush > 0 && opts.Buffer == 0 {
		return nil, fmt.Errorf("no buffer is defined for access_log %q", path)
	}
	if opts.Gzip < 0 || opts.Gzip > gzip.BestCompression {
		return nil, fmt.Errorf("invalid compression level \"%d\"", opts.Gzip)
	}
	f, err := openAppend(path)
	if err != nil {
		return nil, err
	}
	w := &Writer{path: path, opts: opts, after: after, file: f, failures: newFailureReports(path)}
	if opts.Buffer > 0 {
		w.buf = make([]byte, 0, opts.Buffer)
	}
	return w, nil
}

func openAppend(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, &ngxconf.OpenError{Path: path, Err: err}
	}
	return f, nil
}

// Path is the file name the writer was opened with.
func (w *Writer) Path() string { return w.path }

// Write queues one complete line. Unbuffered writers write it at once;
// buffered ones flush when the line does not fit, when the flush interval
// since the first queued line passes, on Reopen and on Close. Lines longer
// than the buffer are written directly. Writes after Close are dropped.
//
// A failed write is not retried, and the line is lost, as in nginx. Write
// returns the failure to report for this call, or nil: reports are spaced
// per file (see failureReports), so nil does not mean the line reached
// the file. The caller logs the report with its session's context, as
// nginx does.
func (w *Writer) Write(line []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	if w.opts.Buffer == 0 {
		return w.writeFile(line)
	}
	var err error
	if len(w.buf)+len(line) > cap(w.buf) {
		err = w.flushLocked()
	}
	if len(line) > cap(w.buf) {
		return errors.Join(err, w.writeFile(line))
	}
	w.buf = append(w.buf, line...)
	if w.opts.Flush > 0 && w.stopTimer == nil {
		w.stopTimer = w.after(w.opts.Flush, w.flushFromTimer)
	}
	return err
}

func (w *Writer) flushFromTimer() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopTimer = nil
	if !w.closed {
		w.report(w.flushLocked())
	}
}

// Flush writes out any buffered lines.
func (w *Writer) Flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.closed {
		w.report(w.flushLocked())
	}
}

// flushLocked writes the buffer out and returns the failure to report.
func (w *Writer) flushLocked() error {
	if w.stopTimer != nil {
		w.stopTimer()
		w.stopTimer = nil
	}
	if len(w.buf) == 0 {
		return nil
	}
	err := w.writeFile(w.buf)
	w.buf = w.buf[:0]
	return err
}

// writeFile writes p in one call and returns the failure to report, if
// any. The summary made when writes succeed again is not about this
// write, so it goes to OnError.
func (w *Writer) writeFile(p []byte) error {
	if w.opts.Gzip > 0 {
		p = w.compress(p)
	}
	n, err := w.file.Write(p)
	if err == nil && n == len(p) {
		if summary := w.failures.succeeded(); summary != nil {
			w.report(summary)
		}
		return nil
	}
	return w.failures.failed(w.now(), n, len(p), err)
}

// compress returns p as one complete gzip member (header, deflate
// stream, trailer), as ngx_stream_log_gzip writes each buffer. The
// result is valid until the next call.
func (w *Writer) compress(p []byte) []byte {
	w.zbuf.Reset()
	if w.gz == nil {
		// The level was checked in open.
		w.gz, _ = gzip.NewWriterLevel(&w.zbuf, w.opts.Gzip)
	} else {
		w.gz.Reset(&w.zbuf)
	}
	// Writes to a bytes.Buffer cannot fail.
	w.gz.Write(p)
	w.gz.Close()
	return w.zbuf.Bytes()
}

func (w *Writer) now() time.Time {
	if w.opts.Now != nil {
		return w.opts.Now()
	}
	return time.Now()
}

func (w *Writer) report(err error) {
	if err != nil && w.opts.OnError != nil {
		w.opts.OnError(err)
	}
}

// Reopen flushes buffered lines to the current file, then reopens the path,
// so that after a rename (log rotation, USR1) new lines go to a fresh file.
// If the path cannot be opened the old file stays in use.
func (w *Writer) Reopen() error {
	f, err := openAppend(w.path)
	if err != nil {
		return err
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return f.Close()
	}
	w.report(w.flushLocked())
	old := w.file
	w.file = f
	w.mu.Unlock()
	return old.Close()
}

// Close flushes buffered lines and closes the file.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.report(w.flushLocked())
	w.closed = true
	return w.file.Close()
}

// line returns a scratch buffer for rendering one line.
func (w *Writer) line() *[]byte {
	if b, ok := w.lines.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, 512)
	return &b
}

func (w *Writer) putLine(b *[]byte) {
	// Keep pathological lines from pinning large buffers.
	if cap(*b) > 64<<10 {
		return
	}
	*b = (*b)[:0]
	w.lines.Put(b)
}
