package errlog

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/straitproxy/strait/internal/syslog"
)

// Target is one error_log directive: a path ("stderr" for standard
// error) and the lowest level it receives.
type Target struct {
	Path  string
	Level Level
	// Syslog, when set, makes this a syslog target (Path is then its
	// text as written, which names the peer). Hostname, Now and Dial
	// left empty come from the Set.
	Syslog *syslog.Options
}

// SetOptions configures a Set.
type SetOptions struct {
	PID    int              // printed as PID#PID
	Now    func() time.Time // clock for timestamps; nil uses the record time
	Stderr io.Writer        // where "stderr" targets write; nil means os.Stderr
	// Hostname goes into syslog headers (nginx: lower-cased gethostname).
	Hostname string
	// OnSyslogError receives the spaced reports about failed sends to
	// syslog targets; nil drops them.
	OnSyslogError func(error)
}

// Set is the error log of one configuration: every error_log file it
// names, each opened once however many contexts name it, and loggers
// writing to them. A reload builds a new Set, as nginx's new cycle opens
// its files anew, so a reload also picks up a rotated file.
//
// A Set is shared by whoever writes to it (the sessions of a
// configuration, the process's own messages) and counts its users: it
// starts with one, Retain adds one, and the files close when Release has
// been called once per user. It is safe for concurrent use.
type Set struct {
	opts SetOptions

	mu       sync.Mutex
	files    map[string]*File
	order    []*File // opening order, for Reopen and Close
	peers    map[string]*syslog.Peer
	toStderr bool
	refs     int
}

// NewSet returns an empty Set with one user.
func NewSet(opts SetOptions) *Set {
	if opts.Stderr == nil {
		opts.Stderr = os.Stderr
	}
	return &Set{opts: opts, files: map[string]*File{}, refs: 1}
}

// Open opens every target's file that is not open yet, so that a missing
// directory shows up before anything is logged. It returns the first
// failure, worded as nginx words it.
func (s *Set) Open(targets []Target) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range targets {
		if t.Syslog != nil {
			s.peerLocked(t)
			continue
		}
		if _, err := s.fileLocked(t.Path); err != nil {
			return err
		}
	}
	return nil
}

// Handler returns a handler writing to every target at its level, opening
// files as needed.
func (s *Set) Handler(targets []Target) (slog.Handler, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	handlers := make([]slog.Handler, 0, len(targets))
	for _, t := range targets {
		if t.Syslog != nil {
			handlers = append(handlers, NewSyslogHandler(s.peerLocked(t), t.Level,
				Options{PID: s.opts.PID, Now: s.opts.Now}, s.opts.OnSyslogError))
			continue
		}
		w, err := s.fileLocked(t.Path)
		if err != nil {
			return nil, err
		}
		handlers = append(handlers, NewHandler(w, t.Level, Options{PID: s.opts.PID, Now: s.opts.Now}))
	}
	if len(handlers) == 1 {
		return handlers[0], nil
	}
	return Multi(handlers...), nil
}

// Logger is Handler wrapped in a slog.Logger.
func (s *Set) Logger(targets []Target) (*slog.Logger, error) {
	h, err := s.Handler(targets)
	if err != nil {
		return nil, err
	}
	return slog.New(h), nil
}

func (s *Set) fileLocked(path string) (io.Writer, error) {
	if path == "stderr" {
		s.toStderr = true
		return s.opts.Stderr, nil
	}
	if f, ok := s.files[path]; ok {
		return f, nil
	}
	f, err := OpenFile(path)
	if err != nil {
		return nil, err
	}
	s.files[path] = f
	s.order = append(s.order, f)
	return f, nil
}

// peerLocked returns the peer of a syslog target, shared by every
// context naming the same target. It opens no socket yet.
func (s *Set) peerLocked(t Target) *syslog.Peer {
	if p, ok := s.peers[t.Path]; ok {
		return p
	}
	o := *t.Syslog
	if o.Hostname == "" {
		o.Hostname = s.opts.Hostname
	}
	if o.Now == nil {
		o.Now = s.opts.Now
	}
	p := syslog.New(o)
	if s.peers == nil {
		s.peers = map[string]*syslog.Peer{}
	}
	s.peers[t.Path] = p
	return p
}

// ToStderr reports whether some target so far is standard error.
func (s *Set) ToStderr() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.toStderr
}

// Reopen opens every file again (USR1, after rotation). It tries all of
// them; a file that cannot be reopened keeps its old descriptor.
func (s *Set) Reopen() error {
	s.mu.Lock()
	files := append([]*File(nil), s.order...)
	s.mu.Unlock()
	var errs []error
	for _, f := range files {
		errs = append(errs, f.Reopen())
	}
	return errors.Join(errs...)
}

// Retain adds a user and returns s.
func (s *Set) Retain() *Set {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refs++
	return s
}

// Release drops a user; the last one closes the files. Lines logged
// afterwards through the Set's handlers are lost.
func (s *Set) Release() error {
	s.mu.Lock()
	s.refs--
	if s.refs != 0 {
		s.mu.Unlock()
		return nil
	}
	files, peers := s.order, s.peers
	s.order, s.files, s.peers = nil, map[string]*File{}, nil
	s.mu.Unlock()
	var errs []error
	for _, f := range files {
		errs = append(errs, f.Close())
	}
	for _, p := range peers {
		errs = append(errs, p.Close())
	}
	return errors.Join(errs...)
}
