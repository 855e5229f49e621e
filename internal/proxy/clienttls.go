package proxy

import (
	"net"
	"syscall"
)

// ClientTLSConn returns the connection to run a client TLS handshake on
// (listen ... ssl): the accepted socket, first yielding preread, the
// bytes a PROXY header read took past its end. The result keeps the
// socket's descriptor reachable, so once the handshake is done the pump
// copies from the TLS connection inside the socket's read callbacks and
// an idle TLS session holds no copy buffer.
func ClientTLSConn(raw net.Conn, preread []byte) net.Conn {
	if len(preread) > 0 {
		raw = &prereadConn{Conn: raw, pre: preread}
	}
	return wrapForTLS(raw)
}

// prereadConn yields pre before reading the connection. A TLS client
// cannot send past its first flight before the server answers, so pre is
// consumed by the handshake, before any direct read of the descriptor.
type prereadConn struct {
	net.Conn
	pre []byte
}

func (c *prereadConn) Read(p []byte) (int, error) {
	if len(c.pre) > 0 {
		n := copy(p, c.pre)
		c.pre = c.pre[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// SyscallConn gives the socket's descriptor, for the direct copy.
func (c *prereadConn) SyscallConn() (syscall.RawConn, error) {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return nil, syscall.EINVAL
	}
	return sc.SyscallConn()
}

// CloseWrite sends the socket's FIN.
func (c *prereadConn) CloseWrite() error {
	if cw, ok := c.Conn.(closeWriter); ok {
		return cw.CloseWrite()
	}
	return nil
}
