// Package straittest holds loopback scaffolding shared by strait's tests,
// the way net/http/httptest serves tests of HTTP code: a log sink safe for
// concurrent writers, free loopback ports, a TCP server running a handler
// per connection, and an in-process strait serving a configuration file.
// Only tests import it; nothing in the strait binary does.
package straittest

import (
	"bytes"
	"log/slog"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/errlog"
	"github.com/straitproxy/strait/internal/server"
)

// ConnDeadline bounds every connection ServeTCP accepts, so a handler
// waiting on a peer that never answers cannot hang a test; a handler may
// set a later deadline of its own.
const ConnDeadline = 10 * time.Second

// LockedBuffer is an io.Writer collecting everything written to it,
// safe for concurrent writers (loggers, child process output). The zero
// value is ready to use.
type LockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (l *LockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything written so far.
func (l *LockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// FreeAddr returns "127.0.0.1:PORT" for a loopback port that was free a
// moment ago, for configurations with several listeners and for peers
// that cannot report the port they bound. Another process may take it
// before the caller binds it; tests accept that small race.
func FreeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// FreePort is FreeAddr's port alone, as a string.
func FreePort(tb testing.TB) string {
	tb.Helper()
	_, port, err := net.SplitHostPort(FreeAddr(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return port
}

// ServeTCP listens on a loopback port, serves it with ServeListener and
// returns its address.
func ServeTCP(tb testing.TB, handle func(net.Conn)) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ServeListener(tb, ln, handle)
	return ln.Addr().String()
}

// ServeListener runs handle on each connection ln accepts, under
// ConnDeadline, and closes the connection when handle returns. When the
// test ends ln is closed and cleanup waits for every handler to return,
// so no handler outlives the test.
func ServeListener(tb testing.TB, ln net.Listener, handle func(net.Conn)) {
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(ConnDeadline))
				handle(c)
			})
		}
	})
	tb.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
}

// Instance is a strait serving in-process.
type Instance struct {
	Server *server.Server
	Log    *LockedBuffer // the error log, at level info
}

// Start loads the configuration file at confPath with prefix as the
// prefix directory (as `strait -p prefix -c confPath` would), serves it
// until the test ends and then stops it and waits for Serve to return.
// If the test failed, the error log is logged.
func Start(tb testing.TB, confPath, prefix string) *Instance {
	tb.Helper()
	cfg, err := config.Load(config.LoadOptions{File: confPath, Prefix: prefix})
	if err != nil {
		text, _ := os.ReadFile(confPath)
		tb.Fatalf("load configuration: %v\n%s", err, text)
	}
	log := &LockedBuffer{}
	logger := slog.New(errlog.NewHandler(log, errlog.LevelInfo, errlog.Options{PID: os.Getpid()}))
	srv, err := server.New(cfg, server.Options{Logger: logger, PID: os.Getpid()})
	if err != nil {
		tb.Fatalf("start strait: %v", err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	tb.Cleanup(func() {
		srv.Close()
		<-served
		if tb.Failed() {
			tb.Logf("strait error log:\n%s", log.String())
		}
	})
	return &Instance{Server: srv, Log: log}
}

// Addr returns the address of the first listener.
func (in *Instance) Addr(tb testing.TB) string {
	tb.Helper()
	addrs := in.Server.Addrs()
	if len(addrs) == 0 {
		tb.Fatal("strait has no listener")
	}
	return addrs[0].String()
}
