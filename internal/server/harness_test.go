package server

import (
	"bytes"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/errlog"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// syncBuffer is a concurrency-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// loadConfig writes text as nginx.conf in a temporary directory (also
// available as {{dir}} in the text) and loads it.
func loadConfig(t testing.TB, dir, text string) (*config.Config, error) {
	t.Helper()
	text = strings.ReplaceAll(text, "{{dir}}", dir)
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return config.Load(config.LoadOptions{File: path, Prefix: dir})
}

func mustConfig(t testing.TB, dir, text string) *config.Config {
	t.Helper()
	cfg, err := loadConfig(t, dir, text)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// testServer is a running Server with its error log captured.
type testServer struct {
	*Server
	log  *syncBuffer
	done chan error
}

func startServer(t testing.TB, cfg *config.Config) *testServer {
	t.Helper()
	buf := &syncBuffer{}
	logger := slog.New(errlog.NewHandler(buf, errlog.LevelInfo, errlog.Options{PID: 1}))
	srv, err := New(cfg, Options{Logger: logger, Hostname: "testhost", PID: 1})
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{Server: srv, log: buf, done: make(chan error, 1)}
	go func() { ts.done <- srv.Serve() }()
	t.Cleanup(func() {
		srv.Close()
		<-ts.done
	})
	return ts
}

// serveUpstream runs handle for every connection on a loopback listener.
func serveUpstream(t testing.TB, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				handle(c)
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return ln.Addr().String()
}

func echo(c net.Conn) { io.Copy(c, c) }

func sayName(name string) func(net.Conn) {
	return func(c net.Conn) { io.WriteString(c, name) }
}

// echoSession connects, echoes msg once and closes.
func echoSession(t testing.TB, addr, msg string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if err := echoOnce(c, msg); err != nil {
		t.Fatal(err)
	}
}

// roundTrip sends msg and returns everything read until the proxy closes.
func roundTrip(t testing.TB, addr, msg string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, msg)
	b, _ := io.ReadAll(c)
	return string(b)
}

// echoOnce sends msg and reads the same number of bytes back.
func echoOnce(c net.Conn, msg string) error {
	if _, err := io.WriteString(c, msg); err != nil {
		return err
	}
	buf := make([]byte, len(msg))
	if _, err := io.ReadFull(c, buf); err != nil {
		return err
	}
	if string(buf) != msg {
		return io.ErrUnexpectedEOF
	}
	return nil
}

// waitFor polls cond for up to 10s.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

func itoa(n int) string { return strconv.Itoa(n) }

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// freePortRange returns the first of n consecutive loopback ports that were
// free a moment ago. It looks below the usual ephemeral range, where
// TIME_WAIT sockets of earlier client connections do not block binding.
func freePortRange(t testing.TB, n int) int {
	t.Helper()
	for range 200 {
		first := 10000 + rand.IntN(20000)
		var held []net.Listener
		ok := true
		for i := range n {
			ln, err := net.Listen("tcp", "127.0.0.1:"+itoa(first+i))
			if err != nil {
				ok = false
				break
			}
			held = append(held, ln)
		}
		for _, ln := range held {
			ln.Close()
		}
		if ok {
			return first
		}
	}
	t.Fatalf("no %d consecutive free ports", n)
	return 0
}
