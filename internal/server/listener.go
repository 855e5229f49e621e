package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/proxy"
)

// bindAddr is one socket strait binds: a listen directive expanded to one
// port, or a wildcard socket serving several specific listens, as nginx
// binds only *:port unless a listen has "bind".
type bindAddr struct {
	network string // "tcp", "udp" or "unix"
	address string // "127.0.0.1:80", "[::]:80", "/path"
	listen  config.Listen
}

// key identifies a socket across reloads: the same key keeps the same
// socket open.
func (b bindAddr) key() string { return b.network + " " + b.address }

// text is nginx's addr_text for the socket: "0.0.0.0:80", "unix:/path".
func (b bindAddr) text() string {
	if b.network == "unix" {
		return "unix:" + b.address
	}
	return b.address
}

// expandListen turns one listen directive into one address per port.
func expandListen(l config.Listen) ([]bindAddr, error) {
	if l.Network == "unix" {
		return []bindAddr{{network: "unix", address: strings.TrimPrefix(l.Address, "unix:"), listen: l}}, nil
	}
	host, port, err := splitListen(l.Address)
	if err != nil {
		return nil, err
	}
	high := port
	if l.PortHigh > 0 {
		high = l.PortHigh
	}
	network := "tcp"
	if l.Network == "udp" {
		network = "udp"
	}
	var out []bindAddr
	for p := port; p <= high; p++ {
		out = append(out, bindAddr{network: network, address: net.JoinHostPort(host, strconv.Itoa(p)), listen: l})
	}
	return out, nil
}

// splitListen normalizes "*:80", ":80", "80" and "[::]:80".
func splitListen(addr string) (string, int, error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		host, portText = "", addr
	}
	if host == "" || host == "*" {
		host = "0.0.0.0"
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		host = ip.String()
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("invalid port in %q of the \"listen\" directive", addr)
	}
	return host, port, nil
}

// isWildcard reports whether a TCP address binds every local address.
func isWildcard(address string) bool {
	host, _, _ := net.SplitHostPort(address)
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsUnspecified()
}

// wildcardFor returns the wildcard address of the same family and port.
func wildcardFor(address string) string {
	host, port, _ := net.SplitHostPort(address)
	if ip, err := netip.ParseAddr(host); err == nil && ip.Is6() && !ip.Is4In6() {
		return net.JoinHostPort("::", port)
	}
	return net.JoinHostPort("0.0.0.0", port)
}

// bind opens the listening socket with the listen parameters applied.
func bind(b bindAddr) (net.Listener, error) {
	lc := net.ListenConfig{
		// nginx leaves keepalive off unless so_keepalive says otherwise;
		// Go would turn it on for every accepted connection.
		KeepAlive: -1,
		Control: func(network, address string, c syscall.RawConn) error {
			var serr error
			if err := c.Control(func(fd uintptr) { serr = setListenSockopts(int(fd), network, b.listen) }); err != nil {
				return err
			}
			return serr
		},
	}
	network := b.network
	if network == "tcp" {
		// Name the family: Go would bind 0.0.0.0 as a dual-stack [::]
		// socket, and "[::]" must honour ipv6only.
		network = "tcp4"
		if host, _, _ := net.SplitHostPort(b.address); strings.Contains(host, ":") {
			network = "tcp6"
		}
	}
	ln, err := lc.Listen(context.Background(), network, b.address)
	if err != nil {
		return nil, bindError(b, err)
	}
	if b.listen.Backlog > 0 {
		// net.Listen always uses the system maximum; listen(2) again on a
		// listening socket only changes its backlog.
		if err := setBacklog(ln, b.listen.Backlog); err != nil {
			ln.Close()
			return nil, fmt.Errorf("listen() to %s, backlog %d failed %s", b.text(), b.listen.Backlog, proxy.Errno(err))
		}
	}
	return ln, nil
}

// bindError words a failure like nginx:
// `bind() to 127.0.0.1:80 failed (98: Address already in use)`.
func bindError(b bindAddr, err error) error {
	var se *os.SyscallError
	if errors.As(err, &se) {
		if errno := proxy.Errno(err); errno != "" {
			return fmt.Errorf("%s() to %s failed %s", se.Syscall, b.text(), errno)
		}
	}
	return fmt.Errorf("bind() to %s failed: %w", b.text(), err)
}

func setBacklog(ln net.Listener, backlog int) error {
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	var lerr error
	if err := rc.Control(func(fd uintptr) { lerr = syscall.Listen(int(fd), backlog) }); err != nil {
		return err
	}
	if lerr != nil {
		return os.NewSyscallError("listen", lerr)
	}
	return nil
}
