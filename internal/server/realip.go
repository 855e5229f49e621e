package server

import (
	"net"
	"net/netip"
	"strconv"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/ngxaddr"
	"github.com/straitproxy/strait/internal/proxy"
)

// realIP is ngx_stream_realip_module's post-accept phase: when the block
// trusts the connection's address (set_real_ip_from) and a PROXY header
// named a client, that client becomes the session's address for every
// later phase, variable and log line; $realip_remote_addr keeps the
// original. An address nginx would not parse leaves the session as it is.
func realIP(from []config.RealIPFrom, ps *proxy.Session) {
	rec := ps.Record
	if len(from) == 0 || rec.ProxyProtocolAddr == "" || !trusted(from, rec.RemoteAddr) {
		return
	}
	a, ok := ngxaddr.ParseAddr(rec.ProxyProtocolAddr)
	if !ok {
		return
	}
	port, _ := strconv.Atoi(rec.ProxyProtocolPort)
	rec.RealIPRemoteAddr = rec.RemoteAddr
	rec.RemoteAddr = &net.TCPAddr{IP: a.AsSlice(), Port: port}
	// nginx's log lines name the client by the new addr_text.
	ps.ClientText = string(ngxaddr.AppendIP(nil, a))
}

// trusted is ngx_cidr_match: IPv4-mapped IPv6 clients match IPv4
// networks, "unix:" matches every unix socket client.
func trusted(from []config.RealIPFrom, remote net.Addr) bool {
	var ip netip.Addr
	isUnix := false
	switch a := remote.(type) {
	case *net.TCPAddr:
		ip = a.AddrPort().Addr()
		if ip.Is4In6() {
			ip = ip.Unmap()
		}
	case *net.UnixAddr:
		isUnix = true
	}
	for _, f := range from {
		switch {
		case f.Unix:
			if isUnix {
				return true
			}
		case ip.IsValid() && f.Prefix.Contains(ip):
			return true
		}
	}
	return false
}
