package server

import (
	"bufio"
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/straitproxy/strait/internal/metrics"
	"github.com/straitproxy/strait/internal/straittest"
)

// peerOf returns the state of the peer at addr in group, from the
// status snapshot.
func peerOf(t *testing.T, s metrics.Snapshot, group, addr string) metrics.Peer {
	t.Helper()
	for _, u := range s.Upstreams {
		if u.Name != group {
			continue
		}
		for _, p := range u.Peers {
			if p.Addr == addr {
				return p
			}
		}
	}
	t.Fatalf("no peer %s in %s: %+v", addr, group, s.Upstreams)
	return metrics.Peer{}
}

// TestReloadKeepsPeerState reloads, while sessions flow, a configuration
// that adds a server to a group, and checks that the peers that stay keep
// their max_fails state and active connections, and that sessions still
// running on the old configuration count on the new one's peers.
func TestReloadKeepsPeerState(t *testing.T) {
	say := func(name string) string {
		return straittest.ServeTCP(t, func(c net.Conn) {
			io.WriteString(c, name+"\n")
			io.Copy(io.Discard, c)
		})
	}
	a, c, b := say("a"), say("c"), straittest.RefusedAddr(t)
	ln, port := listenPort(t)
	dir := t.TempDir()
	conf := func(servers ...string) string {
		return "stream { upstream g { server " + strings.Join(servers, "; server ") +
			"; } server { listen 127.0.0.1:" + port + "; proxy_pass g; } }"
	}
	ts := startServer(t, mustConfig(t, dir, conf(a, b)), ln)
	addr := ln.Addr().String()

	open := func() (net.Conn, string) {
		conn := straittest.Dial(t, addr)
		line, err := bufio.NewReader(conn).ReadString('\n')
		if err != nil {
			t.Fatalf("session: %v", err)
		}
		return conn, strings.TrimSpace(line)
	}
	// Round robin: a, then b which fails over to a. Both stay open.
	h1, n1 := open()
	h2, n2 := open()
	if n1 != "a" || n2 != "a" {
		t.Fatalf("held sessions reached %s, %s", n1, n2)
	}
	if p := peerOf(t, ts.MetricsSnapshot(), "g", b); p.Fails != 1 || p.UnavailableUntil.IsZero() {
		t.Fatalf("b before reload: %+v", p)
	}

	var wg sync.WaitGroup
	failed := make(chan string, 100)
	wg.Go(func() {
		for range 40 {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				failed <- err.Error()
				continue
			}
			line, err := bufio.NewReader(conn).ReadString('\n')
			conn.Close()
			if err != nil || (line != "a\n" && line != "c\n") {
				failed <- line
			}
		}
	})
	if err := ts.Reload(mustConfig(t, dir, conf(a, b, c))); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(failed)
	for f := range failed {
		t.Errorf("a session failed during the reload: %q", f)
	}

	// The traffic's sessions end soon after their clients close; the
	// two held ones stay.
	waitFor(t, "a to count the 2 held sessions only", func() bool {
		s := ts.MetricsSnapshot()
		return peerOf(t, s, "g", a).Conns == 2 && peerOf(t, s, "g", c).Conns == 0
	})
	if p := peerOf(t, ts.MetricsSnapshot(), "g", b); p.Fails != 1 || p.UnavailableUntil.IsZero() || p.Up {
		t.Errorf("b after reload: %+v", p)
	}
	h1.Close()
	h2.Close()
	waitFor(t, "the old sessions to be released in the new group", func() bool {
		return peerOf(t, ts.MetricsSnapshot(), "g", a).Conns == 0
	})

	// Per-peer counters follow the peer set: b's failures go with b.
	if _, ok := ts.Stats().Peers[b]; !ok {
		t.Fatalf("no failure counters for b: %+v", ts.Stats().Peers)
	}
	if err := ts.Reload(mustConfig(t, dir, conf(a, c))); err != nil {
		t.Fatal(err)
	}
	if f, ok := ts.Stats().Peers[b]; ok {
		t.Errorf("b removed, its counters stay: %+v", f)
	}
}
