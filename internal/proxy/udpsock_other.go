//go:build !linux

package proxy

import (
	"net"
	"syscall"
)

// openUDP leaves every socket to net.Dialer off Linux.
func openUDP(string, *net.TCPAddr) (udpConn, bool, error) { return nil, false, nil }

func socketLocalText(udpConn) string { return "" }

func recvDatagram(fd int, p []byte) (int, error) {
	for {
		n, err := syscall.Read(fd, p)
		if err != syscall.EINTR {
			return n, err
		}
	}
}

func sendDatagram(fd int, p []byte) (int, error) {
	for {
		n, err := syscall.Write(fd, p)
		if err != syscall.EINTR {
			return n, err
		}
	}
}
