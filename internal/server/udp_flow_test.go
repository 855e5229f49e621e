package server

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestUDPNoResponsesEndsAtOnce: with proxy_responses 0 (syslog) each
// datagram is a session that ends as soon as it is sent, and each is
// logged with status 200.
func TestUDPNoResponsesEndsAtOnce(t *testing.T) {
	dir := t.TempDir()
	sink := serveUDP(t, func([]byte) [][]byte { return nil })
	pc, addr := listenUDP(t)
	cfg := mustConfig(t, dir, fmt.Sprintf(`stream {
    %s
    server {
        listen %s udp;
        proxy_responses 0;
        proxy_timeout 1m;
        proxy_pass %s;
        access_log {{dir}}/access.log udp;
    }
}`, udpFormat, addr, sink.addr))
	startServerWith(t, cfg, Options{InheritedPackets: []net.PacketConn{pc}})
	c := dialUDP(t, addr)
	for i := range 3 {
		c.send(fmt.Sprintf("m%d", i))
		// Sessions end without waiting for proxy_timeout, one by one.
		waitFor(t, "the session's log line", func() bool {
			return strings.Count(readFile(t, filepath.Join(dir, "access.log")), " UDP 200 ") == i+1
		})
	}
	if n := sink.got.Load(); n != 3 {
		t.Errorf("the peer got %d datagrams, want 3", n)
	}
}

// TestUDPKeptSessionRelaysBothWays: without proxy_responses one session
// carries every exchange of a client, answers relayed as they come.
func TestUDPKeptSessionRelaysBothWays(t *testing.T) {
	dir := t.TempDir()
	p := serveUDP(t, func(b []byte) [][]byte { return [][]byte{append([]byte("1:"), b...), append([]byte("2:"), b...)} })
	pc, addr := listenUDP(t)
	cfg := mustConfig(t, dir, fmt.Sprintf(`stream {
    %s
    server {
        listen %s udp;
        proxy_timeout 1m;
        proxy_pass %s;
        access_log {{dir}}/access.log udp;
    }
}`, udpFormat, addr, p.addr))
	ts := startServerWith(t, cfg, Options{InheritedPackets: []net.PacketConn{pc}})
	c := dialUDP(t, addr)
	for i := range 50 {
		q := fmt.Sprint(i)
		c.send(q)
		for _, want := range []string{"1:" + q, "2:" + q} {
			if got, ok := c.recv(5 * time.Second); got != want {
				t.Fatalf("exchange %d: got %q (%v), want %q", i, got, ok, want)
			}
		}
	}
	if n := ts.stats.accepted.Load(); n != 1 {
		t.Errorf("%d sessions, want 1", n)
	}
}
