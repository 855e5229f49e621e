package server

import (
	"net"
	"net/netip"
)

// addrHost is a client's address as nginx's connection addr_text shows
// it: the IP, or "unix:" and the path.
func addrHost(a net.Addr) string {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.AddrPort().Addr().Unmap().String()
	case *net.UnixAddr:
		if a.Name == "@" {
			// Go names an unnamed peer (a client that never bound its
			// socket) "@"; nginx prints an empty path.
			return "unix:"
		}
		return "unix:" + a.Name
	}
	return ""
}

// clientText is nginx's "client 127.0.0.1:5000" text (with the port).
func clientText(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok {
		ap := t.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()).String()
	}
	return "unix:"
}
