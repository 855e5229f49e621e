package server

import (
	"fmt"
	"net"
	"path/filepath"
	"slices"
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
	// Records are written as sessions end, which need not be the order
	// they began in: look for the first session's among them.
	want := fmt.Sprintf(`127.0.0.1 UDP 200 4 2 "%s" "2" "4"`, a.addr)
	if !slices.Contains(lines, want) {
		t.Errorf("access log lines\n%s\nlack %s", strings.Join(lines, "\n"), want)
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

// TestUDPTimeoutWithoutAnswersFailsThePeer: a peer that does not answer
// ends its session after proxy_timeout with "upstream timed out" and
// 502, and counts as a failure: with max_fails=1 the next sessions go to
// the other peer only, as in nginx.
func TestUDPTimeoutWithoutAnswersFailsThePeer(t *testing.T) {
	dir := t.TempDir()
	silent := serveUDP(t, func([]byte) [][]byte { return nil })
	ok := serveUDP(t, echoWith("ok:"))
	pc, addr := listenUDP(t)
	cfg := mustConfig(t, dir, fmt.Sprintf(`stream {
    %s
    upstream g { server %s max_fails=1 fail_timeout=1m; server %s; }
    server {
        listen %s udp;
        proxy_responses 1;
        proxy_timeout 200ms;
        proxy_pass g;
        access_log {{dir}}/access.log udp;
    }
}`, udpFormat, silent.addr, ok.addr, addr))
	ts := startServerWith(t, cfg, Options{InheritedPackets: []net.PacketConn{pc}})
	c := dialUDP(t, addr)
	c.send("lost")
	log := filepath.Join(dir, "access.log")
	waitFor(t, "the timed out session's log line", func() bool { return strings.Contains(readFile(t, log), " 502 ") })
	for i := range 3 {
		if got := dialUDP(t, addr).exchange(fmt.Sprint(i)); got != fmt.Sprintf("ok:%d", i) {
			t.Errorf("after the failure, session %d answered %q", i, got)
		}
	}
	if n := silent.got.Load(); n != 1 {
		t.Errorf("the failed peer got %d datagrams, want 1", n)
	}
	want := fmt.Sprintf(`127.0.0.1 UDP 502 0 4 "%s" "4" "0"`, silent.addr)
	if first := strings.SplitN(readFile(t, log), "\n", 2)[0]; first != want {
		t.Errorf("log line\n got %s\nwant %s", first, want)
	}
	if !strings.Contains(ts.log.String(), "upstream timed out (110: Connection timed out) while proxying connection, udp client: 127.0.0.1, server: "+addr+`, upstream: "`+silent.addr+`", bytes from/to client:4/0, bytes from/to upstream:0/4`) {
		t.Errorf("error log lacks the timeout:\n%s", ts.log.String())
	}
}

// TestUDPRefusedPeerIsRelayedEmptyAndFails: an ICMP port unreachable
// (ECONNREFUSED on the session's connected socket) is logged as nginx's
// "recv() failed", relayed to the client as an empty datagram that
// counts as the answer, and fails the peer.
func TestUDPRefusedPeerIsRelayedEmptyAndFails(t *testing.T) {
	dir := t.TempDir()
	closed, closedAddr := listenUDP(t)
	closed.Close() // nothing listens there any more: the kernel refuses
	ok := serveUDP(t, echoWith("ok:"))
	pc, addr := listenUDP(t)
	cfg := mustConfig(t, dir, fmt.Sprintf(`stream {
    %s
    upstream g { server %s; server %s; }
    server {
        listen %s udp;
        proxy_responses 1;
        proxy_pass g;
        access_log {{dir}}/access.log udp;
    }
}`, udpFormat, closedAddr, ok.addr, addr))
	ts := startServerWith(t, cfg, Options{InheritedPackets: []net.PacketConn{pc}})
	if got := dialUDP(t, addr).exchange("x"); got != "" {
		t.Errorf("the refused session answered %q, want an empty datagram", got)
	}
	for i := range 2 {
		if got := dialUDP(t, addr).exchange("y"); got != "ok:y" {
			t.Errorf("session %d after the refusal answered %q", i, got)
		}
	}
	log := ts.log.String()
	for _, want := range []string{
		"recv() failed (111: Connection refused) while proxying and reading from upstream, udp client: 127.0.0.1",
		"upstream server temporarily disabled",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("error log lacks %q:\n%s", want, log)
		}
	}
}

// TestUDPRequestsStartNewSessions: with proxy_requests 2 the client's
// third datagram starts a second session; the first ends once its two
// answers came, the second when idle.
func TestUDPRequestsStartNewSessions(t *testing.T) {
	dir := t.TempDir()
	p := serveUDP(t, echoWith("r:"))
	pc, addr := listenUDP(t)
	cfg := mustConfig(t, dir, fmt.Sprintf(`stream {
    server { listen %s udp; proxy_requests 2; proxy_responses 1; proxy_timeout 100ms; proxy_pass %s; }
}`, addr, p.addr))
	ts := startServerWith(t, cfg, Options{InheritedPackets: []net.PacketConn{pc}})
	c := dialUDP(t, addr)
	for _, m := range []string{"a", "b", "c"} {
		if got := c.exchange(m); got != "r:"+m {
			t.Errorf("%s answered %q", m, got)
		}
	}
	waitFor(t, "both sessions to end", func() bool { return strings.Contains(ts.log.String(), "udp timed out") })
	log := ts.log.String()
	for _, want := range []string{
		"*1 udp done, packets from/to client:2/2, bytes from/to client:2/6, bytes from/to upstream:6/2",
		"*2 udp timed out, packets from/to client:1/1, bytes from/to client:1/3, bytes from/to upstream:3/1",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("error log lacks %q:\n%s", want, log)
		}
	}
}

// TestUDPTruncatesAndSendsTheProxyHeader: the first datagram goes whole
// with the PROXY header in front of it; later datagrams and the answers
// are cut to proxy_buffer_size, as nginx's recv() cuts them. Two
// responses are expected, so that the first answer cannot end the session
// before the second datagram arrives (which would start a new one).
func TestUDPTruncatesAndSendsTheProxyHeader(t *testing.T) {
	dir := t.TempDir()
	got := make(chan string, 4)
	p := serveUDP(t, func(b []byte) [][]byte {
		got <- string(b)
		return [][]byte{append([]byte("R:"), b...)}
	})
	pc, addr := listenUDP(t)
	cfg := mustConfig(t, dir, fmt.Sprintf(`stream {
    server { listen %s udp; proxy_protocol on; proxy_buffer_size 8; proxy_responses 2; proxy_pass %s; }
}`, addr, p.addr))
	startServerWith(t, cfg, Options{InheritedPackets: []net.PacketConn{pc}})
	c := dialUDP(t, addr)
	c.send("0123456789abcdef")
	c.send("0123456789ABCDEF")
	first, second := <-got, <-got
	_, cport, _ := strings.Cut(c.pc.LocalAddr().String(), ":")
	_, sport, _ := strings.Cut(addr, ":")
	if want := "PROXY TCP4 127.0.0.1 127.0.0.1 " + cport + " " + sport + "\r\n0123456789abcdef"; first != want {
		t.Errorf("first datagram upstream %q, want %q", first, want)
	}
	if second != "01234567" {
		t.Errorf("second datagram upstream %q, want it cut to 8 bytes", second)
	}
	for range 2 {
		if a, _ := c.recv(5 * time.Second); a != "R:PROXY " && a != "R:012345" {
			t.Errorf("answer %q, want 8 bytes", a)
		}
	}
}

// TestUDPAccessAndLimitConn: deny ends the session with 403 and no
// answer; limit_conn counts UDP sessions (503 past the limit).
func TestUDPAccessAndLimitConn(t *testing.T) {
	dir := t.TempDir()
	silent := serveUDP(t, func([]byte) [][]byte { return nil })
	denied, daddr := listenUDP(t)
	limited, laddr := listenUDP(t)
	cfg := mustConfig(t, dir, fmt.Sprintf(`stream {
    %s
    limit_conn_zone $remote_addr zone=one:1m;
    access_log {{dir}}/access.log udp;
    server { listen %s udp; deny 127.0.0.1; proxy_pass %s; }
    server { listen %s udp; limit_conn one 1; proxy_timeout 5s; proxy_pass %s; }
}`, udpFormat, daddr, silent.addr, laddr, silent.addr))
	ts := startServerWith(t, cfg, Options{InheritedPackets: []net.PacketConn{denied, limited}})
	dialUDP(t, daddr).send("x")
	dialUDP(t, laddr).send("first holds the slot")
	waitFor(t, "the first limited session to reach the peer", func() bool { return silent.got.Load() == 1 })
	dialUDP(t, laddr).send("second is refused")
	log := filepath.Join(dir, "access.log")
	waitFor(t, "two log lines", func() bool { return strings.Count(readFile(t, log), "\n") == 2 })
	text := readFile(t, log)
	if !strings.Contains(text, `127.0.0.1 UDP 403 0 1 "-"`) || !strings.Contains(text, `127.0.0.1 UDP 503 0 17 "-"`) {
		t.Errorf("access log:\n%s", text)
	}
	for _, want := range []string{"access forbidden by rule, udp client: 127.0.0.1, server: " + daddr, `limiting connections by zone "one", udp client: 127.0.0.1`} {
		if !strings.Contains(ts.log.String(), want) {
			t.Errorf("error log lacks %q:\n%s", want, ts.log.String())
		}
	}
}

// TestUDPFloodIsCappedByWorkerConnections: each UDP session holds two
// connections (client and upstream socket); datagrams from new sources
// past worker_connections are dropped with nginx's alert, and sessions
// give their connections back when they time out.
func TestUDPFloodIsCappedByWorkerConnections(t *testing.T) {
	dir := t.TempDir()
	silent := serveUDP(t, func([]byte) [][]byte { return nil })
	pc, addr := listenUDP(t)
	// 9 connections: the listening socket and four sessions.
	cfg := mustConfig(t, dir, fmt.Sprintf(`events { worker_connections 9; }
stream { server { listen %s udp; proxy_timeout 300ms; proxy_pass %s; } }`, addr, silent.addr))
	ts := startServerWith(t, cfg, Options{InheritedPackets: []net.PacketConn{pc}})
	for i := range 20 {
		dialUDP(t, addr).send(fmt.Sprint(i))
	}
	waitFor(t, "the alert", func() bool {
		return strings.Contains(ts.log.String(), "[alert] 1#1: 9 worker_connections are not enough")
	})
	waitFor(t, "every session to time out", func() bool {
		conns, _ := ts.table.counts()
		return conns == 0 && strings.Count(ts.log.String(), "udp timed out") == 4
	})
	if n := silent.got.Load(); n != 4 {
		t.Errorf("the peer got %d datagrams, want 4 (one per admitted session)", n)
	}
	dialUDP(t, addr).send("after")
	waitFor(t, "a new session once the others ended", func() bool { return silent.got.Load() == 5 })
}
