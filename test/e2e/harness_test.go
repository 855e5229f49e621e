// Package e2e holds scenario-named end-to-end tests of the plain TCP proxy:
// a configuration as an nginx user would write it, loaded by package config
// and served by package server on real loopback sockets.
package e2e

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/straitproxy/strait/internal/server/servertest"
	"github.com/straitproxy/strait/internal/straittest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const waitLimit = 10 * time.Second

// strait runs the configuration text (with {{dir}} replaced by a temporary
// directory), serving the listeners the test bound for its listen
// addresses, and returns that directory and the error log.
func strait(t *testing.T, text string, lns ...net.Listener) (string, *straittest.LockedBuffer) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(text, "{{dir}}", dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, servertest.Start(t, path, dir, lns...).Log
}

func readAll(t *testing.T, c net.Conn) string {
	t.Helper()
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(b)
}

// waitForLines waits until the file holds n lines and returns them.
func waitForLines(t *testing.T, path string, n int) []string {
	t.Helper()
	var text string
	for deadline := time.Now().Add(waitLimit); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		b, _ := os.ReadFile(path)
		if text = string(b); strings.Count(text, "\n") >= n {
			return strings.Split(strings.TrimSuffix(text, "\n"), "\n")
		}
	}
	t.Fatalf("%s has %q, want %d lines", path, text, n)
	return nil
}

func addr(port string) string { return "127.0.0.1:" + port }

// listenPort binds a loopback port for a listen directive and returns
// the listener, to hand to strait or nginx, and its port.
func listenPort(t *testing.T) (net.Listener, string) {
	t.Helper()
	ln := straittest.Listen(t)
	return ln, straittest.Port(t, ln)
}
