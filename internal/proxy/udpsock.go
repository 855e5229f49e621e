package proxy

import (
	"context"
	"errors"
	"net"
	"syscall"
)

// udpConn is a session's connected socket to its peer: the flow reads it
// through its RawConn (so that an idle session holds no buffer) and
// writes each datagram with Write. On Linux it is an *os.File over a
// socket strait opened itself (openUDP); elsewhere, or through
// Handler.Dial, a *net.UDPConn.
type udpConn interface {
	SyscallConn() (syscall.RawConn, error)
	Write(b []byte) (int, error)
	Close() error
}

// dialUDP connects a UDP socket to addr from local (proxy_bind; nil: the
// system's choice), and returns it with its RawConn.
func (h *Handler) dialUDP(ctx context.Context, addr string, local *net.TCPAddr) (udpConn, syscall.RawConn, error) {
	c, err := h.openUDPConn(ctx, addr, local)
	if err != nil {
		return nil, nil, err
	}
	rc, err := c.SyscallConn()
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	return c, rc, nil
}

func (h *Handler) openUDPConn(ctx context.Context, addr string, local *net.TCPAddr) (udpConn, error) {
	if h.Dial == nil {
		if c, ok, err := openUDP(addr, local); ok {
			return c, err
		}
	}
	var c net.Conn
	var err error
	if h.Dial != nil {
		c, err = h.Dial(ctx, "udp", addr)
	} else {
		d := net.Dialer{}
		if local != nil {
			d.LocalAddr = &net.UDPAddr{IP: local.IP, Port: local.Port}
		}
		c, err = d.DialContext(ctx, "udp", addr)
	}
	if err != nil {
		return nil, err
	}
	uc, ok := c.(*net.UDPConn)
	if !ok {
		c.Close()
		return nil, errors.New("dialer returned a " + c.LocalAddr().Network() + " connection for udp")
	}
	return uc, nil
}

// udpLocalText is the socket's local address as the "udp proxy ...
// connected to" line shows it. It costs a system call on a socket from
// openUDP, so callers ask only when the line is logged.
func udpLocalText(c udpConn) string {
	if uc, ok := c.(*net.UDPConn); ok {
		return uc.LocalAddr().String()
	}
	return socketLocalText(c)
}
