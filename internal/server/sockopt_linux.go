package server

import (
	"os"

	"golang.org/x/sys/unix"

	"github.com/straitproxy/strait/internal/config"
)

// setListenSockopts applies listen parameters to a socket before bind.
// Keepalive options set on a listening socket are inherited by the sockets
// it accepts, which is how nginx applies so_keepalive.
func setListenSockopts(fd int, network string, l config.Listen) error {
	set := func(level, opt, v int, name string) error {
		if err := unix.SetsockoptInt(fd, level, opt, v); err != nil {
			return os.NewSyscallError("setsockopt("+name+")", err)
		}
		return nil
	}
	b2i := func(b bool) int {
		if b {
			return 1
		}
		return 0
	}
	if l.ReusePort {
		if err := set(unix.SOL_SOCKET, unix.SO_REUSEPORT, 1, "SO_REUSEPORT"); err != nil {
			return err
		}
	}
	if network == "udp4" || network == "udp6" {
		// As nginx sets it on every listening socket: a UDP socket on a
		// specific address may then share its port with a wildcard one,
		// each serving its own listen.
		if err := set(unix.SOL_SOCKET, unix.SO_REUSEADDR, 1, "SO_REUSEADDR"); err != nil {
			return err
		}
	}
	if network == "tcp6" || network == "udp6" {
		if err := set(unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, b2i(l.IPv6Only), "IPV6_V6ONLY"); err != nil {
			return err
		}
	}
	if l.RcvBuf > 0 {
		if err := set(unix.SOL_SOCKET, unix.SO_RCVBUF, l.RcvBuf, "SO_RCVBUF"); err != nil {
			return err
		}
	}
	if l.SndBuf > 0 {
		if err := set(unix.SOL_SOCKET, unix.SO_SNDBUF, l.SndBuf, "SO_SNDBUF"); err != nil {
			return err
		}
	}
	if network == "unix" || network == "udp4" || network == "udp6" || !l.KeepAlive.Set {
		return nil
	}
	if err := set(unix.SOL_SOCKET, unix.SO_KEEPALIVE, b2i(l.KeepAlive.On), "SO_KEEPALIVE"); err != nil {
		return err
	}
	if l.KeepAlive.Idle > 0 {
		if err := set(unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, int(l.KeepAlive.Idle.Seconds()), "TCP_KEEPIDLE"); err != nil {
			return err
		}
	}
	if l.KeepAlive.Interval > 0 {
		if err := set(unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, int(l.KeepAlive.Interval.Seconds()), "TCP_KEEPINTVL"); err != nil {
			return err
		}
	}
	if l.KeepAlive.Count > 0 {
		if err := set(unix.IPPROTO_TCP, unix.TCP_KEEPCNT, l.KeepAlive.Count, "TCP_KEEPCNT"); err != nil {
			return err
		}
	}
	return nil
}
