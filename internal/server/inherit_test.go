package server

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/straitproxy/strait/internal/straittest"
)

// TestInheritedListenersServeTheirListen hands the server a TCP and a unix
// listener bound by the test: each serves the listen naming its address
// (no bind of its own, which would fail on the taken address), and
// reloads keep them, the same sockets, as long as a listen names them.
func TestInheritedListenersServeTheirListen(t *testing.T) {
	dir := t.TempDir()
	up := straittest.ServeTCP(t, straittest.Say("through the inherited socket"))
	ln, addr := straittest.ListenAddr(t)
	sock := filepath.Join(dir, "in.sock")
	uln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`events {} stream {
    server { listen %s; proxy_pass %s; }
    server { listen unix:%s; proxy_pass %s; }
}`, addr, up, sock, up)
	ts := startServer(t, mustConfig(t, dir, conf), ln, uln)
	dialUnix := func() string {
		c, err := net.Dial("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		b := make([]byte, 64)
		n, _ := c.Read(b)
		return string(b[:n])
	}
	for i := range 3 {
		if got := roundTrip(t, addr, ""); got != "through the inherited socket" {
			t.Fatalf("round %d over TCP: %q", i, got)
		}
		if got := dialUnix(); got != "through the inherited socket" {
			t.Fatalf("round %d over unix: %q", i, got)
		}
		if got := ts.Addrs(); len(got) != 2 || got[0].String() != addr {
			t.Fatalf("round %d: listening on %v, want %s and %s", i, got, addr, sock)
		}
		if err := ts.Reload(mustConfig(t, dir, conf)); err != nil {
			t.Fatal(err)
		}
	}
	// A reload without the listen closes the inherited socket like any.
	if err := ts.Reload(mustConfig(t, dir, fmt.Sprintf(`events {} stream { server { listen unix:%s; proxy_pass %s; } }`, sock, up))); err != nil {
		t.Fatal(err)
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Fatalf("%s accepts after its listen was removed", addr)
	}
}

// TestUnmatchedInheritedListenersAreClosed: a socket no listen names is
// closed at start, with a notice, and one the configuration names twice
// (the same socket passed twice) is used once.
func TestUnmatchedInheritedListenersAreClosed(t *testing.T) {
	dir := t.TempDir()
	up := straittest.ServeTCP(t, straittest.Say("ok"))
	used, usedAddr := straittest.ListenAddr(t)
	stray, strayAddr := straittest.ListenAddr(t)
	ts := startServer(t, mustConfig(t, dir, fmt.Sprintf(`events {} stream { server { listen %s; proxy_pass %s; } }`, usedAddr, up)), used, stray)
	if got := roundTrip(t, usedAddr, ""); got != "ok" {
		t.Fatalf("through the used socket: %q", got)
	}
	if c, err := net.Dial("tcp", strayAddr); err == nil {
		c.Close()
		t.Errorf("%s still accepts, want it closed", strayAddr)
	}
	want := `[notice] 1#1: closing inherited socket on ` + strayAddr + `: no "listen" directive matches it`
	if log := ts.log.String(); !strings.Contains(log, want) || strings.Contains(log, "on "+usedAddr+":") {
		t.Errorf("log lacks %q or names the used socket:\n%s", want, log)
	}
}

// TestInheritedListenersClosedWhenNewFails: New owns the sockets it is
// given, so a configuration that fails to start leaks none of them.
func TestInheritedListenersClosedWhenNewFails(t *testing.T) {
	dir := t.TempDir()
	ln, addr := straittest.ListenAddr(t)
	_, busyAddr := straittest.ListenAddr(t) // held: binding it fails New after the adoption
	cfg := mustConfig(t, dir, fmt.Sprintf(`events {} stream {
    server { listen %s; proxy_pass 127.0.0.1:1; }
    server { listen %s; proxy_pass 127.0.0.1:1; }
}`, addr, busyAddr))
	if _, err := New(cfg, Options{Logger: discardLogger(), Inherited: []net.Listener{ln}}); err == nil || !strings.Contains(err.Error(), "Address already in use") {
		t.Fatalf("New: %v, want the busy address refused", err)
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Errorf("%s still accepts after New failed", addr)
	}
}
