package errlog

import (
	"context"
	"log/slog"
	"sync"
)

// Switch is a slog.Handler that forwards to a handler it can replace, so
// that a logger handed out once (the process's own messages, the status
// endpoint's) follows the error_log of each configuration a reload
// switches to. Handlers derived with WithAttrs or WithGroup follow the
// switch too.
//
// Replace takes the write side of a lock that every record holds for
// reading while it is written, so once Replace returns no record goes to
// the old handler any more, and the old handler's files can be closed.
type Switch struct {
	mu      sync.RWMutex
	h       slog.Handler
	release func() // drops the current handler's files; may be nil
}

// NewSwitch returns a Switch forwarding to h until the first Replace.
func NewSwitch(h slog.Handler) *Switch {
	return &Switch{h: h}
}

// Replace forwards to h from now on. release, if not nil, is called when
// h is replaced in turn or the Switch is closed; the previous handler's
// release runs before Replace returns.
func (s *Switch) Replace(h slog.Handler, release func()) {
	s.mu.Lock()
	old := s.release
	s.h, s.release = h, release
	s.mu.Unlock()
	if old != nil {
		old()
	}
}

// Close releases the current handler; later records are dropped.
func (s *Switch) Close() {
	s.Replace(slog.DiscardHandler, nil)
}

// Enabled reports whether the current handler takes records at l.
func (s *Switch) Enabled(ctx context.Context, l slog.Level) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.h.Enabled(ctx, l)
}

// Handle writes r with the current handler.
func (s *Switch) Handle(ctx context.Context, r slog.Record) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.h.Handle(ctx, r)
}

// WithAttrs returns a handler that adds attrs and follows the switch.
func (s *Switch) WithAttrs(attrs []slog.Attr) slog.Handler {
	return (&derived{sw: s}).WithAttrs(attrs)
}

// WithGroup returns a handler that qualifies keys and follows the switch.
func (s *Switch) WithGroup(name string) slog.Handler {
	return (&derived{sw: s}).WithGroup(name)
}

// derived is a Switch with attributes and groups to apply to whichever
// handler is current. It derives the real handler per record, which
// costs an allocation; the process logs rarely.
type derived struct {
	sw  *Switch
	ops []func(slog.Handler) slog.Handler
}

func (d *derived) with(op func(slog.Handler) slog.Handler) *derived {
	ops := append(d.ops[:len(d.ops):len(d.ops)], op)
	return &derived{sw: d.sw, ops: ops}
}

func (d *derived) current() slog.Handler {
	h := d.sw.h
	for _, op := range d.ops {
		h = op(h)
	}
	return h
}

func (d *derived) Enabled(ctx context.Context, l slog.Level) bool {
	d.sw.mu.RLock()
	defer d.sw.mu.RUnlock()
	return d.sw.h.Enabled(ctx, l)
}

func (d *derived) Handle(ctx context.Context, r slog.Record) error {
	d.sw.mu.RLock()
	defer d.sw.mu.RUnlock()
	return d.current().Handle(ctx, r)
}

func (d *derived) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return d
	}
	return d.with(func(h slog.Handler) slog.Handler { return h.WithAttrs(attrs) })
}

func (d *derived) WithGroup(name string) slog.Handler {
	if name == "" {
		return d
	}
	return d.with(func(h slog.Handler) slog.Handler { return h.WithGroup(name) })
}
