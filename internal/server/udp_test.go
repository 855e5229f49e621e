package server

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const udpFormat = `log_format udp '$remote_addr $protocol $status $bytes_sent $bytes_received "$upstream_addr" "$upstream_bytes_sent" "$upstream_bytes_received"';`

// TestUDPSessionsRoundRobinAndLog: each client address and port is a
// session; with proxy_responses 1 a session ends with its answer, so
// sessions alternate between the two peers, and each is logged as UDP.
func TestUDPSessionsRoundRobinAndLog(t *testing.T) {
	dir := t.TempDir()
	a, b := serveUDP(t, echoWith("a:")), serveUDP(t, echoWith("b:"))
	pc, addr := listenUDP(t)
	cfg := mustConfig(t, dir, fmt.Sprintf(`stream {
    %s
    upstream dns { server %s; server %s; }
    server {
        listen %s udp;
        proxy_responses 1;
        proxy_timeout 5s;
        proxy_pass dns;
        access_log {{dir}}/access.log udp;
    }
}`, udpFormat, a.addr, b.addr, addr))
	ts := startServerWith(t, cfg, Options{InheritedPackets: []net.PacketConn{pc}})
	var got []string
	for i := range 4 {
		c := dialUDP(t, addr)
		got = append(got, c.exchange(fmt.Sprintf("q%d", i)))
	}
	if want := []string{"a:q0", "b:q1", "a:q2", "b:q3"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("answers %v, want %v", got, want)
	}
	log := filepath.Join(dir, "access.log")
	waitFor(t, "4 access log lines", func() bool { return strings.Count(readFile(t, log), "\n") == 4 })
	lines := strings.Split(strings.TrimSpace(readFile(t, log)), "\n")
	want := fmt.Sprintf(`127.0.0.1 UDP 200 4 2 "%s" "2" "4"`, a.addr)
	if lines[0] != want {
		t.Errorf("access log line\n got %s\nwant %s", lines[0], want)
	}
	if !strings.Contains(ts.log.String(), "udp done, packets from/to client:1/1, bytes from/to client:2/4, bytes from/to upstream:4/2") {
		t.Errorf("no \"udp done\" line:\n%s", ts.log.String())
	}
}

// TestUDPReturnSendsOneDatagram: return answers with one datagram.
func TestUDPReturnSendsOneDatagram(t *testing.T) {
	dir := t.TempDir()
	pc, addr := listenUDP(t)
	cfg := mustConfig(t, dir, fmt.Sprintf(`stream { server { listen %s udp; return "hello $remote_addr $protocol"; } }`, addr))
	startServerWith(t, cfg, Options{InheritedPackets: []net.PacketConn{pc}})
	c := dialUDP(t, addr)
	if got := c.exchange("x"); got != "hello 127.0.0.1 UDP" {
		t.Errorf("return gave %q", got)
	}
	if got, ok := c.recv(50 * time.Millisecond); ok {
		t.Errorf("a second datagram: %q", got)
	}
}
