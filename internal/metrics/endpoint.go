package metrics

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Timeouts of the status HTTP server. Scrapes are small; the limits only
// keep a stuck or slow client from holding a connection forever.
const (
	readHeaderTimeout = 10 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 2 * time.Minute
	// stopGrace is how long a replaced listener lets running requests
	// finish before cutting them.
	stopGrace = 2 * time.Second
)

// ErrEndpointClosed is returned by Prepare after Close.
var ErrEndpointClosed = errors.New("status endpoint closed")

// Endpoint serves a handler over HTTP on the status_listen address and
// moves it when a reload changes the address. The change is two-phase,
// like the server's listeners: Prepare binds the new address while the old
// one keeps serving, then Commit switches or Abort undoes. Prepare and its
// Commit or Abort must not overlap another Prepare.
type Endpoint struct {
	handler http.Handler
	log     *slog.Logger

	mu     sync.Mutex
	cur    *httpListener // nil when off
	closed bool
}

// httpListener is one bound address and its HTTP server.
type httpListener struct {
	addr string // as configured
	ln   net.Listener
	srv  *http.Server
	done chan struct{} // closed when Serve has returned
}

// NewEndpoint returns an endpoint that serves nothing until an address is
// committed. log receives HTTP server errors; nil discards them.
func NewEndpoint(h http.Handler, log *slog.Logger) *Endpoint {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Endpoint{handler: h, log: log}
}

// BindError is a failure to bind the status_listen address, worded as
// nginx words a listen failure: "bind() to 127.0.0.1:9145 failed (98:
// Address already in use) for status_listen".
type BindError struct {
	Addr string
	Err  error
}

func (e *BindError) Error() string {
	var errno syscall.Errno
	if !errors.As(e.Err, &errno) {
		return "bind() to " + e.Addr + " failed for status_listen: " + e.Err.Error()
	}
	text := errno.Error()
	if text != "" && text[0] >= 'a' && text[0] <= 'z' {
		text = string(text[0]-'a'+'A') + text[1:] // strerror's capitalisation
	}
	return "bind() to " + e.Addr + " failed (" + strconv.Itoa(int(errno)) + ": " + text + ") for status_listen"
}

func (e *BindError) Unwrap() error { return e.Err }

// Rebind is a pending address change returned by Prepare.
type Rebind struct {
	e      *Endpoint
	next   *httpListener
	change bool
}

// Prepare binds addr ("host:port"; "" means off) unless it is the address
// already served. The bound socket accepts nothing until Commit.
func (e *Endpoint) Prepare(addr string) (*Rebind, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, ErrEndpointClosed
	}
	curAddr := ""
	if e.cur != nil {
		curAddr = e.cur.addr
	}
	if addr == curAddr {
		return &Rebind{e: e}, nil
	}
	if addr == "" {
		return &Rebind{e: e, change: true}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, &BindError{Addr: addr, Err: err}
	}
	return &Rebind{e: e, change: true, next: &httpListener{addr: addr, ln: ln, done: make(chan struct{})}}, nil
}

// Commit starts serving on the prepared address and stops the old one,
// letting its running requests finish for a moment.
func (r *Rebind) Commit() {
	if !r.change {
		return
	}
	e := r.e
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		r.Abort()
		return
	}
	old := e.cur
	e.cur = r.next
	if r.next != nil {
		e.serve(r.next)
	}
	e.mu.Unlock()
	if old != nil {
		old.stop()
	}
}

// Abort closes the prepared socket; the old address keeps serving.
func (r *Rebind) Abort() {
	if r.next != nil {
		r.next.ln.Close()
	}
}

// Listen serves on addr at once (Prepare then Commit).
func (e *Endpoint) Listen(addr string) error {
	r, err := e.Prepare(addr)
	if err != nil {
		return err
	}
	r.Commit()
	return nil
}

// Adopt serves ln, a socket already bound to the status_listen address
// addr (inherited from the old binary of an upgrade, which keeps serving
// on it meanwhile: binding it again would fail). It replaces nothing; use
// it before any Listen.
func (e *Endpoint) Adopt(addr string, ln net.Listener) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed || e.cur != nil {
		ln.Close()
		return ErrEndpointClosed
	}
	e.cur = &httpListener{addr: addr, ln: ln, done: make(chan struct{})}
	e.serve(e.cur)
	return nil
}

// File returns a duplicate of the listening socket for a new binary to
// inherit, nil when the endpoint is off. The caller closes it.
func (e *Endpoint) File() (*os.File, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cur == nil {
		return nil, nil
	}
	fl, ok := e.cur.ln.(interface{ File() (*os.File, error) })
	if !ok {
		return nil, nil
	}
	return fl.File()
}

// Addr returns the address being served, or nil when off.
func (e *Endpoint) Addr() net.Addr {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cur == nil {
		return nil
	}
	return e.cur.ln.Addr()
}

// Close stops serving; later Prepares fail.
func (e *Endpoint) Close() error {
	e.mu.Lock()
	cur := e.cur
	e.cur, e.closed = nil, true
	e.mu.Unlock()
	if cur != nil {
		cur.stop()
	}
	return nil
}

func (e *Endpoint) serve(l *httpListener) {
	l.srv = &http.Server{
		Handler:           e.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(e.log.Handler(), slog.LevelInfo),
	}
	go func() {
		defer close(l.done)
		if err := l.srv.Serve(l.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.log.Error("status_listen " + l.addr + ": " + err.Error())
		}
	}()
}

// stop shuts the server down gracefully, bounded by stopGrace.
func (l *httpListener) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), stopGrace)
	defer cancel()
	if err := l.srv.Shutdown(ctx); err != nil {
		l.srv.Close()
	}
	<-l.done
}
