package cli

import (
	"errors"

	"golang.org/x/sys/unix"
)

// checkListeningSocket reports whether fd is a listening stream socket
// or a datagram socket (for "listen ... udp"), as nginx reads an
// inherited socket's type before using it; datagram is true for the
// latter.
func checkListeningSocket(fd int) (datagram bool, err error) {
	typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	if err != nil {
		return false, err
	}
	if typ == unix.SOCK_DGRAM {
		return true, nil
	}
	if typ != unix.SOCK_STREAM {
		return false, errors.New("not a stream or datagram socket")
	}
	if on, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN); err == nil && on == 0 {
		return false, errors.New("not a listening socket")
	}
	return false, nil
}
