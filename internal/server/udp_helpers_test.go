package server

import (
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// listenUDP binds a loopback UDP socket for a "listen ... udp" and
// returns it with its address; the test hands it to the server.
func listenUDP(t testing.TB) (*net.UDPConn, string) {
	t.Helper()
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc, pc.LocalAddr().String()
}

// udpPeer is an upstream that answers each datagram with reply(datagram)
// (no answer when reply returns nil) and counts what it got.
type udpPeer struct {
	addr string
	pc   *net.UDPConn
	got  atomic.Int64
}

func serveUDP(t testing.TB, reply func([]byte) [][]byte) *udpPeer {
	t.Helper()
	pc, addr := listenUDP(t)
	p := &udpPeer{addr: addr, pc: pc}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 65535)
		for {
			n, from, err := pc.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			p.got.Add(1)
			for _, r := range reply(buf[:n]) {
				pc.WriteToUDPAddrPort(r, from)
			}
		}
	}()
	t.Cleanup(func() {
		pc.Close()
		<-done
	})
	return p
}

// echoWith answers every datagram once, prefixed.
func echoWith(prefix string) func([]byte) [][]byte {
	return func(b []byte) [][]byte { return [][]byte{append([]byte(prefix), b...)} }
}

// udpClient is a client socket with a read deadline on each exchange.
type udpClient struct {
	t  testing.TB
	pc *net.UDPConn
}

func dialUDP(t testing.TB, addr string) *udpClient {
	t.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &udpClient{t: t, pc: c.(*net.UDPConn)}
}

func (c *udpClient) send(msg string) {
	c.t.Helper()
	if _, err := c.pc.Write([]byte(msg)); err != nil {
		c.t.Fatal(err)
	}
}

// recv returns the next datagram, or ok false after wait.
func (c *udpClient) recv(wait time.Duration) (string, bool) {
	c.pc.SetReadDeadline(time.Now().Add(wait))
	b := make([]byte, 65535)
	n, err := c.pc.Read(b)
	if err != nil {
		return "", false
	}
	return string(b[:n]), true
}

func (c *udpClient) exchange(msg string) string {
	c.t.Helper()
	c.send(msg)
	got, ok := c.recv(5 * time.Second)
	if !ok {
		c.t.Fatalf("no answer to %q", msg)
	}
	return got
}
