package proxy

import (
	"errors"
	"net"
	"syscall"
	"time"

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

// kernelIdle returns how long c's socket has neither received nor sent
// data, from TCP_INFO. Spliced sessions move bytes inside the kernel, so
// this is how their idle timeout sees activity.
func kernelIdle(c net.Conn) (time.Duration, bool) {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return 0, false
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return 0, false
	}
	var info *unix.TCPInfo
	var ierr error
	if err := rc.Control(func(fd uintptr) {
		info, ierr = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
	}); err != nil || ierr != nil {
		return 0, false
	}
	ms := min(info.Last_data_recv, info.Last_data_sent)
	return time.Duration(ms) * time.Millisecond, true
}

// canSplice reports whether kernelIdle works here, which spliced copying
// relies on for proxy_timeout.
const canSplice = true
