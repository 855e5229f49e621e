package server

import (
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/errlog"
	"github.com/straitproxy/strait/internal/straittest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// loadConfig writes text as nginx.conf in a temporary directory (also
// available as {{dir}} in the text) and loads it.
func loadConfig(t testing.TB, dir, text string) (*config.Config, error) {
	t.Helper()
	text = strings.ReplaceAll(text, "{{dir}}", dir)
	if !strings.Contains(text, "events") {
		// nginx (and strait) require an events block; the tests here are
		// about streams, so one is put on the first line, where it moves
		// no line number an error message or log line refers to.
		text = "events {} " + text
	}
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
	log  *straittest.LockedBuffer
	done chan error
}

// startServer serves cfg until the test ends, handing it the listeners
// the test bound for the configuration's listen addresses.
func startServer(t testing.TB, cfg *config.Config, inherited ...net.Listener) *testServer {
	t.Helper()
	return startServerWith(t, cfg, Options{Inherited: inherited})
}

// startServerWith is startServer with opts; the logger, hostname and PID
// are the test's own.
func startServerWith(t testing.TB, cfg *config.Config, opts Options) *testServer {
	t.Helper()
	buf := &straittest.LockedBuffer{}
	opts.Logger = slog.New(errlog.NewHandler(buf, errlog.LevelInfo, errlog.Options{PID: 1}))
	opts.Hostname, opts.PID = "testhost", 1
	srv, err := New(cfg, opts)
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

// listenPort binds a loopback port for a listen directive; the test
// hands the listener to startServer, which serves it.
func listenPort(t testing.TB) (net.Listener, string) {
	t.Helper()
	ln := straittest.Listen(t)
	return ln, straittest.Port(t, ln)
}

// echoSession connects, echoes msg once and closes.
func echoSession(t testing.TB, addr, msg string) {
	t.Helper()
	c := straittest.Dial(t, addr)
	defer c.Close()
	if err := echoOnce(c, msg); err != nil {
		t.Fatal(err)
	}
}

// roundTrip sends msg and returns everything read until the proxy closes.
func roundTrip(t testing.TB, addr, msg string) string {
	t.Helper()
	c := straittest.Dial(t, addr)
	defer c.Close()
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

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
