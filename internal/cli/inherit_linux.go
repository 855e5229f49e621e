package cli

import (
	"errors"

	"golang.org/x/sys/unix"
)

// checkListeningSocket reports whether fd is a listening stream socket,
// as nginx reads an inherited socket's type before using it.
func checkListeningSocket(fd int) error {
	typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	if err != nil {
		return err
	}
	if typ != unix.SOCK_STREAM {
		return errors.New("not a stream socket")
	}
	if on, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN); err == nil && on == 0 {
		return errors.New("not a listening socket")
	}
	return nil
}
