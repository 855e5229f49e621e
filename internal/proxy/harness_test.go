package proxy

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/straitproxy/strait/internal/accesslog"
	"github.com/straitproxy/strait/internal/errlog"
	"github.com/straitproxy/strait/internal/straittest"
	"github.com/straitproxy/strait/internal/upstream"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testProxy runs a Handler behind a loopback listener.
type testProxy struct {
	addr    string
	records chan *accesslog.Session
	log     *straittest.LockedBuffer
}

// startProxy runs h with an event-loop engine (where there is one).
func startProxy(t *testing.T, h *Handler) *testProxy {
	t.Helper()
	if h.Engine == nil {
		h.Engine = testEngine(t)
	}
	return startProxyGoroutines(t, h)
}

// startProxyGoroutines runs h as it is: without an engine, every session
// runs on goroutines.
func startProxyGoroutines(t *testing.T, h *Handler) *testProxy {
	t.Helper()
	ln := straittest.Listen(t)
	tp := &testProxy{addr: ln.Addr().String(), records: make(chan *accesslog.Session, 1024), log: &straittest.LockedBuffer{}}
	logger := slog.New(errlog.NewHandler(tp.log, errlog.LevelInfo, errlog.Options{}))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var conns atomic.Uint64
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n := conns.Add(1)
			// As the server does: a session the loops carry finishes
			// from ServeAsync's callback, after its goroutine returned.
			wg.Add(1)
			go func() {
				rec := &accesslog.Session{Connection: n}
				done := func() {
					tp.records <- rec
					wg.Done()
				}
				if !h.ServeAsync(ctx, &Session{
					Client: c, Log: logger.With("conn", n), Record: rec,
					ClientText: "127.0.0.1", ServerText: tp.addr,
				}, done) {
					done()
				}
			}()
		}
	})
	t.Cleanup(func() {
		ln.Close()
		cancel()
		wg.Wait()
	})
	return tp
}

// testEngine starts an event-loop engine for one test; on systems
// without one, sessions run on goroutines.
func testEngine(t *testing.T) *Engine {
	e, err := NewEngine(2)
	if err != nil {
		return nil
	}
	t.Cleanup(e.Close)
	return e
}

// record waits for the next finished session.
func (tp *testProxy) record(t *testing.T) *accesslog.Session {
	t.Helper()
	select {
	case r := <-tp.records:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no session finished within 10s")
		return nil
	}
}

func newGroup(t *testing.T, specs ...upstream.ServerSpec) *upstream.Group {
	t.Helper()
	g, err := upstream.NewGroup("backend", specs, upstream.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func spec(addr string, weight int) upstream.ServerSpec {
	s := upstream.DefaultServerSpec(addr, addr)
	s.Weight = weight
	return s
}

// roundTrip connects to addr, sends msg, half-closes and reads everything.
func roundTrip(t *testing.T, addr, msg string) string {
	t.Helper()
	c := straittest.Dial(t, addr)
	defer c.Close()
	if msg != "" {
		io.WriteString(c, msg)
	}
	b, err := io.ReadAll(c)
	if err != nil && !strings.Contains(err.Error(), "reset") {
		t.Fatal(err)
	}
	return string(b)
}

func newRecord() *accesslog.Session { return &accesslog.Session{} }

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

const (
	errnoRefused = syscall.ECONNREFUSED
	errnoNoEnt   = syscall.ENOENT
)
