package proxy

import (
	"errors"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// waitReadable blocks until c has data or EOF to read, honouring c's read
// deadline, without holding a buffer: an idle session then owns no copy
// buffer at all. It peeks one byte with MSG_PEEK, so nothing is consumed.
func waitReadable(c net.Conn) error {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	var b [1]byte
	var serr error
	err = rc.Read(func(fd uintptr) bool {
		_, _, e := unix.Recvfrom(int(fd), b[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
		if errors.Is(e, unix.EAGAIN) || errors.Is(e, unix.EINTR) {
			return false
		}
		serr = e
		return true
	})
	if err != nil {
		return err
	}
	_ = serr // a socket error is reported by the Read that follows
	return nil
}
