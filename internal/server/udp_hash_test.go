package server

import (
	"fmt"
	"net"
	"strings"
	"testing"
)

// TestUDPHashKeepsClientOnOnePeer: a group balanced by hash $remote_addr
// (plain and consistent) sends every session of one client address to
// the same peer over UDP, as over TCP; a session ends with its answer
// (proxy_responses 1), so each query below is a session of its own and
// picks again. Clients come from distinct loopback addresses, since
// $remote_addr has no port.
func TestUDPHashKeepsClientOnOnePeer(t *testing.T) {
	for _, method := range []string{"hash $remote_addr", "hash $remote_addr consistent"} {
		t.Run(method, func(t *testing.T) {
			dir := t.TempDir()
			var servers strings.Builder
			for i := range 4 {
				p := serveUDP(t, echoWith(fmt.Sprintf("p%d:", i)))
				fmt.Fprintf(&servers, "server %s; ", p.addr)
			}
			pc, addr := listenUDP(t)
			cfg := mustConfig(t, dir, fmt.Sprintf(`stream {
    upstream dns { %s; %s}
    server { listen %s udp; proxy_responses 1; proxy_timeout 5s; proxy_pass dns; }
}`, method, servers.String(), addr))
			startServerWith(t, cfg, Options{InheritedPackets: []net.PacketConn{pc}})
			peers := map[string]bool{}
			for host := 2; host <= 17; host++ {
				ip := fmt.Sprintf("127.0.0.%d", host)
				var first string
				for q := range 4 {
					// A new socket each time: a new port, a new session.
					got := dialUDPFrom(t, ip, addr).exchange(fmt.Sprintf("q%d", q))
					peer, _, _ := strings.Cut(got, ":")
					if q == 0 {
						first = peer
						peers[peer] = true
					} else if peer != first {
						t.Errorf("client %s: session %d went to %s, the first to %s", ip, q, peer, first)
					}
				}
			}
			// 16 addresses over 4 peers: hashing spreads them; one peer
			// for all would mean the key was not used.
			if len(peers) < 2 {
				t.Errorf("16 client addresses all went to %v", peers)
			}
		})
	}
}

// dialUDPFrom is dialUDP from a given loopback address.
func dialUDPFrom(t testing.TB, ip, addr string) *udpClient {
	t.Helper()
	raddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.DialUDP("udp", &net.UDPAddr{IP: net.ParseIP(ip)}, raddr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &udpClient{t: t, pc: c}
}
