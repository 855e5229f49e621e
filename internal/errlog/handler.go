package errlog

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// Options configures a Handler.
type Options struct {
	PID int              // printed as PID#PID
	Now func() time.Time // clock for the timestamp; nil uses the record time
}

// Handler is a slog.Handler writing nginx-shaped lines. Each line goes out
// in one Write call under a lock shared by every handler derived from it, so
// lines never interleave. It is safe for concurrent use.
type Handler struct {
	out    *output
	level  Level
	opts   Options
	fields fields // attributes from WithAttrs
	group  string // key prefix from WithGroup, "" or "a.b."
}

// output is the destination shared by a handler and its derivatives.
type output struct {
	mu   sync.Mutex
	w    io.Writer
	bufs sync.Pool // *[]byte
}

// NewHandler returns a handler writing records at level or above to w.
func NewHandler(w io.Writer, level Level, opts Options) *Handler {
	return &Handler{out: &output{w: w}, level: level, opts: opts}
}

// Enabled reports whether records at l are written.
func (h *Handler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.level
}

// WithAttrs returns a handler that adds attrs to every record; well-known
// keys (conn, client, ...) set the nginx suffix, later values winning.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	h2 := *h
	h2.fields.extra = h.fields.extra[:len(h.fields.extra):len(h.fields.extra)]
	for _, a := range attrs {
		h2.fields.add(a, h.group)
	}
	return &h2
}

// WithGroup returns a handler that qualifies later attribute keys with name.
// Attributes inside a group are never treated as well-known.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.group = h.group + name + "."
	return &h2
}

// Handle formats r as one line and writes it.
func (h *Handler) Handle(_ context.Context, r slog.Record) error {
	f := h.fields
	// Record attributes are collected into f; extra ones are rendered from
	// the record in a second pass so nothing is copied for them.
	recordExtra := false
	r.Attrs(func(a slog.Attr) bool {
		if !f.setKnown(a, h.group) && !a.Equal(slog.Attr{}) {
			recordExtra = true
		}
		return true
	})

	bp := h.out.buffer()
	b := h.appendHeader(*bp, r)
	if f.hasConn {
		b = append(b, '*')
		b = strconv.AppendUint(b, f.conn, 10)
		b = append(b, ' ')
	}
	b = appendEscaped(b, r.Message)
	b = f.appendSuffix(b)
	if recordExtra {
		r.Attrs(func(a slog.Attr) bool {
			if !isKnown(a, h.group) {
				b = appendExtra(b, h.group, a)
			}
			return true
		})
	}
	b = append(b, '\n')

	h.out.mu.Lock()
	_, err := h.out.w.Write(b)
	h.out.mu.Unlock()
	*bp = b
	h.out.release(bp)
	return err
}

func (h *Handler) appendHeader(b []byte, r slog.Record) []byte {
	t := r.Time
	if h.opts.Now != nil {
		t = h.opts.Now()
	} else if t.IsZero() {
		t = time.Now()
	}
	b = t.AppendFormat(b, "2006/01/02 15:04:05")
	b = append(b, " ["...)
	b = append(b, LevelName(r.Level)...)
	b = append(b, "] "...)
	b = strconv.AppendInt(b, int64(h.opts.PID), 10)
	b = append(b, '#')
	b = strconv.AppendInt(b, int64(h.opts.PID), 10)
	b = append(b, ": "...)
	return b
}

func (o *output) buffer() *[]byte {
	if b, ok := o.bufs.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, 256)
	return &b
}

func (o *output) release(b *[]byte) {
	if cap(*b) > 16<<10 {
		return
	}
	*b = (*b)[:0]
	o.bufs.Put(b)
}
