package errlog

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/straitproxy/strait/internal/syslog"
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

// output is the destination shared by a handler and its derivatives:
// a writer, or a syslog peer.
type output struct {
	mu   sync.Mutex
	w    io.Writer
	bufs sync.Pool // *[]byte

	peer  *syslog.Peer
	onErr func(error) // reports of failed sends to peer; nil drops them
}

// NewHandler returns a handler writing records at level or above to w.
func NewHandler(w io.Writer, level Level, opts Options) *Handler {
	return &Handler{out: &output{w: w}, level: level, opts: opts}
}

// NewSyslogHandler returns a handler sending records at level or above to
// a syslog peer, one datagram each: the line the file handler would write,
// without its newline, behind a syslog header whose severity is the
// record's level (nginx ignores the target's severity= for error logs).
// Sends never wait; onErr receives the spaced reports about failed ones.
func NewSyslogHandler(p *syslog.Peer, level Level, opts Options, onErr func(error)) *Handler {
	return &Handler{out: &output{peer: p, onErr: onErr}, level: level, opts: opts}
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

	t := h.now(r)
	bp := h.out.buffer()
	b := *bp
	if h.out.peer != nil {
		b = h.out.peer.AppendHeader(b, syslogSeverity(r.Level), t)
	}
	b = h.appendHeader(b, r.Level, t)
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
	if h.out.peer != nil {
		err := h.out.peer.SendRaw(b)
		*bp = b
		h.out.release(bp)
		// Reported after the buffer is back: the report may come back
		// here through the main error log (the failure is then counted,
		// not reported again).
		if err != nil && h.out.onErr != nil {
			h.out.onErr(err)
		}
		return err
	}
	b = append(b, '\n')

	h.out.mu.Lock()
	_, err := h.out.w.Write(b)
	h.out.mu.Unlock()
	*bp = b
	h.out.release(bp)
	return err
}

func (h *Handler) now(r slog.Record) time.Time {
	switch {
	case h.opts.Now != nil:
		return h.opts.Now()
	case r.Time.IsZero():
		return time.Now()
	}
	return r.Time
}

// syslogSeverity is the syslog severity of an nginx level (emerg 0 ...
// debug 7), as ngx_syslog_writer computes it.
func syslogSeverity(l Level) int {
	name := LevelName(l)
	for i, s := range syslog.Severities {
		if s == name {
			return i
		}
	}
	return len(syslog.Severities) - 1
}

func (h *Handler) appendHeader(b []byte, level Level, t time.Time) []byte {
	b = t.AppendFormat(b, "2006/01/02 15:04:05")
	b = append(b, " ["...)
	b = append(b, LevelName(level)...)
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
