package straittest

import (
	"net"
	"sync"
	"testing"
)

// ServeUDP answers datagrams on a loopback UDP socket it binds itself
// with reply(datagram), sending nothing when reply returns nil, until the
// test ends; it returns the socket's address. reply gets a copy it may
// keep. Tests use it for made-up DNS servers and other one-datagram
// peers.
func ServeUDP(tb testing.TB, reply func(datagram []byte) []byte) string {
	tb.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		buf := make([]byte, 65535)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if r := reply(append([]byte(nil), buf[:n]...)); r != nil {
				pc.WriteTo(r, from)
			}
		}
	})
	tb.Cleanup(func() {
		pc.Close()
		wg.Wait()
	})
	return pc.LocalAddr().String()
}
