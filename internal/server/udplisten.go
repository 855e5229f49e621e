package server

import (
	"context"
	"fmt"
	"net"
	"strings"
	"syscall"
)

// openListener binds the socket of b: a listening socket, or for "udp"
// a datagram socket.
func openListener(key string, b bindAddr) (*listener, error) {
	if b.network != "udp" {
		ln, err := bind(b)
		if err != nil {
			return nil, err
		}
		return newListener(key, b.text(), ln), nil
	}
	pc, err := bindUDP(b)
	if err != nil {
		return nil, err
	}
	return newPacketListener(key, b.text(), pc), nil
}

// bindUDP opens a "listen ... udp" socket with the listen parameters
// applied (reuseport, rcvbuf, sndbuf, ipv6only).
func bindUDP(b bindAddr) (*net.UDPConn, error) {
	network := "udp4"
	if host, _, _ := net.SplitHostPort(b.address); strings.Contains(host, ":") {
		network = "udp6"
	}
	lc := net.ListenConfig{
		Control: func(_, _ string, c syscall.RawConn) error {
			var serr error
			if err := c.Control(func(fd uintptr) { serr = setListenSockopts(int(fd), network, b.listen) }); err != nil {
				return err
			}
			return serr
		},
	}
	pc, err := lc.ListenPacket(context.Background(), network, b.address)
	if err != nil {
		return nil, bindError(b, err)
	}
	uc, ok := pc.(*net.UDPConn)
	if !ok {
		pc.Close()
		return nil, fmt.Errorf("bind() to %s: not a UDP socket", b.text())
	}
	return uc, nil
}
