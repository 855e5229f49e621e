package proxy

import (
	"context"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
)

// listenUDP is a loopback UDP socket, closed with the test.
func listenUDP(t *testing.T, lc net.ListenConfig) *net.UDPConn {
	t.Helper()
	pc, err := lc.ListenPacket(context.Background(), "udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc.(*net.UDPConn)
}

// readOnce reads one datagram from c's descriptor, blocking in the
// runtime's poller as the session's reader does.
func readOnce(t *testing.T, c udpConn) (string, error) {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	var n int
	var rerr error
	err = rc.Read(func(fd uintptr) bool {
		n, rerr = syscall.Read(int(fd), buf)
		return rerr != syscall.EAGAIN
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(buf[:max(n, 0)]), rerr
}

func TestOpenUDPRelaysBothWays(t *testing.T) {
	peer := listenUDP(t, net.ListenConfig{})
	c, ok, err := openUDP(peer.LocalAddr().String(), nil)
	if !ok || err != nil {
		t.Fatalf("openUDP: ok %v, %v", ok, err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, from, err := peer.ReadFromUDPAddrPort(buf)
	if err != nil || string(buf[:n]) != "ping" {
		t.Fatalf("peer read %q, %v", buf[:n], err)
	}
	if got := udpLocalText(c); got != from.String() {
		t.Errorf("local address %q, the peer saw %q", got, from)
	}
	if _, err := peer.WriteToUDPAddrPort([]byte("pong"), from); err != nil {
		t.Fatal(err)
	}
	if got, err := readOnce(t, c); got != "pong" || err != nil {
		t.Errorf("read %q, %v", got, err)
	}
}

// The peer's ICMP port unreachable must show on the connected socket:
// nginx relays it to the client and counts it against the peer.
func TestOpenUDPSeesRefusal(t *testing.T) {
	gone := listenUDP(t, net.ListenConfig{})
	addr := gone.LocalAddr().String()
	gone.Close()
	c, _, err := openUDP(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := readOnce(t, c); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("read error %v, want ECONNREFUSED", err)
	}
}

// proxy_bind with a port: every session binds it, as in nginx.
func TestOpenUDPBindsSharedPort(t *testing.T) {
	reuse := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1) })
		return serr
	}}
	held := listenUDP(t, reuse) // holds the port for the sessions
	local := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: held.LocalAddr().(*net.UDPAddr).Port}
	peer := listenUDP(t, net.ListenConfig{})
	for i := range 2 {
		c, _, err := openUDP(peer.LocalAddr().String(), local)
		if err != nil {
			t.Fatalf("session %d: %v", i, err)
		}
		defer c.Close()
		if got := udpLocalText(c); got != local.String() {
			t.Errorf("session %d bound %q, want %q", i, got, local)
		}
	}
}

func TestOpenUDPErrorsNameTheirCall(t *testing.T) {
	local := &net.TCPAddr{IP: net.ParseIP("::1")}
	_, _, err := openUDP("127.0.0.1:9", local)
	if err == nil || !strings.HasPrefix(attemptErrorText("127.0.0.1:9", StageConnect, err), "bind() failed (") {
		t.Errorf("bind of an IPv6 address for an IPv4 peer: %v", err)
	}
	if _, ok, _ := openUDP("[fe80::1%lo]:53", nil); ok {
		t.Error("an address with a zone should be left to net.Dialer")
	}
}
