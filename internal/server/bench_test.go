package server

import (
	"fmt"
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/straittest"
)

func benchServer(b *testing.B, extra string) (string, *testServer) {
	b.Helper()
	dir := b.TempDir()
	// A benchmark's session may stream for longer than the per-connection
	// deadline ServeTCP sets, so the upstream clears it.
	up := straittest.ServeTCP(b, func(c net.Conn) {
		c.SetDeadline(time.Time{})
		straittest.Echo(c)
	})
	ln, port := listenPort(b)
	ts := startServer(b, mustConfig(b, dir, fmt.Sprintf(`
error_log stderr error;
events { worker_connections 100000; }
stream { server { listen 127.0.0.1:%s; proxy_pass %s; %s } }`, port, up, extra)), ln)
	return "127.0.0.1:" + port, ts
}

// BenchmarkSessionRoundTrip is one short proxied session: connect, one
// 64-byte echo, close.
func BenchmarkSessionRoundTrip(b *testing.B) {
	addr, _ := benchServer(b, "")
	msg := string(make([]byte, 64))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		if err := echoOnce(c, msg); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}

// BenchmarkThroughput streams through one plain session (spliced) and
// reports bytes per second.
func BenchmarkThroughput(b *testing.B) {
	addr, _ := benchServer(b, "")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 256<<10)
	done := make(chan error, 1)
	b.SetBytes(int64(len(buf)))
	b.ResetTimer()
	go func() {
		_, err := io.CopyN(io.Discard, c, int64(b.N)*int64(len(buf)))
		done <- err
	}()
	for range b.N {
		if _, err := c.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
}

// BenchmarkIdleSessionMemory holds idle sessions open and reports the heap
// and stack they cost, and goroutines per session.
func BenchmarkIdleSessionMemory(b *testing.B) {
	const n = 1000
	addr, ts := benchServer(b, "")
	for b.Loop() {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		goroutines := runtime.NumGoroutine()
		conns := make([]net.Conn, 0, n)
		for range n {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				b.Fatal(err)
			}
			// One echo so both directions have run and gone idle.
			if err := echoOnce(c, "x"); err != nil {
				b.Fatal(err)
			}
			conns = append(conns, c)
		}
		waitActive(b, ts, n)
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		perSession := float64(after.HeapInuse+after.StackInuse-before.HeapInuse-before.StackInuse) / n
		// The echo upstream's own goroutine and connection are counted
		// too; subtract one goroutine for it.
		perGoroutines := float64(runtime.NumGoroutine()-goroutines)/n - 1
		b.ReportMetric(perSession, "bytes/idle-session")
		b.ReportMetric(perGoroutines, "goroutines/idle-session")
		for _, c := range conns {
			c.Close()
		}
		waitActive(b, ts, 0)
	}
}

// waitActive waits, at most 10 s, until the server runs n sessions.
func waitActive(b *testing.B, ts *testServer, n int64) {
	for deadline := time.Now().Add(10 * time.Second); ts.Stats().Active != n; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("%d active sessions, want %d", ts.Stats().Active, n)
		}
	}
}
