//go:build unix

package straittest

import (
	"net"
	"syscall"
	"testing"
)

// RefusedAddr returns a loopback address where connections are refused,
// for a peer that must fail. The port is held for the test's life by a
// socket bound to it that never listens: the kernel answers a SYN to it
// with a reset, and since the socket has no SO_REUSEADDR no other socket
// can bind the port meanwhile.
func RefusedAddr(tb testing.TB) string {
	tb.Helper()
	syscall.ForkLock.RLock() // no child may inherit fd before CloseOnExec
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err == nil {
		syscall.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		tb.Fatalf("socket: %v", err)
	}
	tb.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		tb.Fatalf("bind: %v", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		tb.Fatalf("getsockname: %v", err)
	}
	in4, ok := sa.(*syscall.SockaddrInet4)
	if !ok {
		tb.Fatalf("getsockname returned %T", sa)
	}
	return (&net.TCPAddr{IP: in4.Addr[:], Port: in4.Port}).String()
}
