// Package straittest holds loopback scaffolding shared by strait's tests,
// the way net/http/httptest serves tests of HTTP code: a log sink safe for
// concurrent writers, loopback listeners (handed to strait or to a peer
// process, never closed to reuse their port: another process could take
// it in between), a TCP server running a handler per connection, and
// finding the external tools a test needs. It imports
// no strait package, so the internal tests of every package can use it;
// an in-process strait lives in internal/server/servertest. Only tests
// import it; nothing in the strait binary does.
package straittest

import (
	"bytes"
	"io"
	"net"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
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

// Listen returns a listener on a free loopback port, closed when the test
// ends (closing it earlier is fine).
func Listen(tb testing.TB) net.Listener {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	return ln
}

// ServeTCP listens on a loopback port, serves it with ServeListener and
// returns its address.
func ServeTCP(tb testing.TB, handle func(net.Conn)) string {
	tb.Helper()
	ln := Listen(tb)
	ServeListener(tb, ln, handle)
	return ln.Addr().String()
}

// Dial connects to addr over TCP with ConnDeadline set, so a read from a
// peer that never answers fails instead of hanging the test. The
// connection is closed when the test ends; closing it earlier is fine.
func Dial(tb testing.TB, addr string) net.Conn {
	tb.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(ConnDeadline))
	tb.Cleanup(func() { c.Close() })
	return c
}

// Echo is a handler that writes back everything it reads until the peer
// half-closes.
func Echo(c net.Conn) { io.Copy(c, c) }

// Say returns a handler that writes text and returns, so that the
// connection closes.
func Say(text string) func(net.Conn) {
	return func(c net.Conn) { io.WriteString(c, text) }
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

// Tool returns the path of the program name (looked up in PATH unless it
// is a path). When the program is missing, a test on a developer machine
// is skipped with a message, and a test in CI (CI=true, where .ci/run
// installs every tool) fails.
func Tool(tb testing.TB, name string) string {
	tb.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s is required in CI: %v", name, err)
	}
	tb.Skipf("%s is not installed (%v); this test needs it", name, err)
	return ""
}
