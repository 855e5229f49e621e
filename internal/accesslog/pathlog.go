package accesslog

import (
	"bytes"
	"sync"
	"time"

	"github.com/straitproxy/strait/internal/vars"
)

// maxFailingPaths bounds the failure reports kept for paths with
// variables: a value such as $remote_addr could name a new failing file
// for every session. Past it the reports start afresh.
const maxFailingPaths = 1024

// PathLog is the file side of an access_log whose path has variables.
// Each record evaluates the path (after the session, as nginx does at
// log time), opens the file through the cache (nil: open and close per
// record, open_log_file_cache off) and appends the line in one write.
type PathLog struct {
	Path  *vars.Expr
	Cache *FileCache
	// Failures spaces the reports per evaluated path; share one
	// (Files.PathFailures) so that every access_log naming a file
	// reports it once. Nil: the log's own.
	Failures *PathFailures
	// Now is the clock that spaces the failure reports; nil means
	// time.Now.
	Now func() time.Time

	own   PathFailures
	lines sync.Pool // *[]byte scratch buffers
}

// PathFailures is the state of the failing files named with variables,
// by evaluated path. The zero value is ready to use.
type PathFailures struct {
	mu      sync.Mutex
	failing map[string]*failureReports // while failing
}

func (p *PathLog) failures() *PathFailures {
	if p.Failures != nil {
		return p.Failures
	}
	return &p.own
}

// name evaluates the path. nginx ends the value with a NUL and uses it
// as a C string, so a NUL in a variable's value ends the name there.
func (p *PathLog) name(s *Session) string {
	var scratch [256]byte
	b := p.Path.Append(scratch[:0], s)
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// write appends line to the file named for s and returns the report to
// make for this session, or nil. A line that cannot be written is lost,
// as in nginx.
func (p *PathLog) write(s *Session, line []byte) error {
	name := p.name(s)
	l, err := p.Cache.acquire(name)
	if err != nil {
		return p.failures().failed(name, p.now(), func(r *failureReports, now time.Time) error { return r.failedOpen(now, err) })
	}
	n, err := l.f.Write(line)
	l.release()
	if err == nil && n == len(line) {
		return p.failures().succeeded(name)
	}
	return p.failures().failed(name, p.now(), func(r *failureReports, now time.Time) error { return r.failed(now, n, len(line), err) })
}

func (p *PathLog) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *PathFailures) failed(name string, now time.Time, record func(*failureReports, time.Time) error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.failing[name]
	if !ok {
		if p.failing == nil || len(p.failing) >= maxFailingPaths {
			p.failing = map[string]*failureReports{}
		}
		fr := newFailureReports(name)
		r = &fr
		p.failing[name] = r
	}
	return record(r, now)
}

// succeeded ends the failing period of name, if any, and returns its
// summary. A healthy path keeps no state.
func (p *PathFailures) succeeded(name string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.failing[name]
	if !ok {
		return nil
	}
	delete(p.failing, name)
	return r.succeeded()
}

func (p *PathLog) line() *[]byte {
	if b, ok := p.lines.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, 512)
	return &b
}

func (p *PathLog) putLine(b *[]byte) {
	if cap(*b) > 64<<10 {
		return
	}
	*b = (*b)[:0]
	p.lines.Put(b)
}
