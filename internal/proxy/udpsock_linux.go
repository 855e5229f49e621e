package proxy

import (
	"net"
	"net/netip"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// openUDP opens a session's upstream socket with the system calls nginx
// makes, socket (non-blocking and close-on-exec in one call), bind for
// proxy_bind, connect, where net.Dialer also sets SO_BROADCAST, reads
// both addresses back and resolves addr through the resolver's code. The
// descriptor joins the runtime's poller through os.NewFile (an fcntl and
// the epoll registration); net.FileConn would dup it and read the
// addresses back again. With a session per DNS query this was a third
// of strait's CPU.
//
// ok is false when addr is not a plain IP address and port (an IPv6
// zone): the caller then dials with net.Dialer.
func openUDP(addr string, local *net.TCPAddr) (c udpConn, ok bool, err error) {
	ap, perr := netip.ParseAddrPort(addr)
	if perr != nil || ap.Addr().Zone() != "" {
		return nil, false, nil
	}
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	family := unix.AF_INET6
	if ap.Addr().Is4() {
		family = unix.AF_INET
	}
	fd, err := unix.Socket(family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, true, os.NewSyscallError("socket", err)
	}
	if err := bindLocal(fd, family, local); err != nil {
		unix.Close(fd)
		return nil, true, err
	}
	for {
		err = unix.Connect(fd, sockaddrOf(family, ap))
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		unix.Close(fd)
		return nil, true, os.NewSyscallError("connect", err)
	}
	return os.NewFile(uintptr(fd), "udp"), true, nil
}

// bindLocal binds fd to proxy_bind's address. As nginx does on Linux, a
// fixed port gets SO_REUSEADDR, so that a second session can bind it
// while the first is open. The kernel tells their answers apart only by
// the peer each socket is connected to: two sessions to one peer through
// one fixed port would share answers, in nginx as in strait.
func bindLocal(fd, family int, local *net.TCPAddr) error {
	if local == nil {
		return nil
	}
	ip, ok := netip.AddrFromSlice(local.IP)
	if !ok {
		return nil
	}
	if local.Port != 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			return os.NewSyscallError("setsockopt", err)
		}
	}
	if err := unix.Bind(fd, sockaddrOf(family, netip.AddrPortFrom(ip, uint16(local.Port)))); err != nil {
		return os.NewSyscallError("bind", err)
	}
	return nil
}

// sockaddrOf is ap in family's form: an IPv4 address for an IPv6 socket
// becomes its mapped form; an IPv6 address for an IPv4 socket stays IPv6
// and the kernel refuses it, as it refuses nginx.
func sockaddrOf(family int, ap netip.AddrPort) unix.Sockaddr {
	if a := ap.Addr().Unmap(); family == unix.AF_INET && a.Is4() {
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: a.As4()}
	}
	return &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
}

// socketLocalText is getsockname(2) of c's descriptor as "ip:port".
func socketLocalText(c udpConn) string {
	rc, err := c.SyscallConn()
	if err != nil {
		return ""
	}
	var sa unix.Sockaddr
	rc.Control(func(fd uintptr) { sa, _ = unix.Getsockname(int(fd)) })
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port)).String()
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), uint16(sa.Port)).String()
	}
	return ""
}

// recvDatagram and sendDatagram are read(2) and write(2) on a session's
// non-blocking socket. They never block, so they skip the scheduler
// hand-off of syscall.Syscall: with a system call or more per datagram,
// that hand-off kept the runtime's sysmon waking every 20 us to retake
// processors. p may be empty: a datagram can be.
func recvDatagram(fd int, p []byte) (int, error) {
	for {
		n, _, errno := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
		if errno == 0 {
			return int(n), nil
		}
		if errno != unix.EINTR {
			return 0, errno
		}
	}
}

func sendDatagram(fd int, p []byte) (int, error) {
	for {
		n, _, errno := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(p))), uintptr(len(p)))
		if errno == 0 {
			return int(n), nil
		}
		if errno != unix.EINTR {
			return 0, errno
		}
	}
}
