package server

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/straitproxy/strait/internal/config"
)

// accessRule is a compiled allow or deny line.
type accessRule struct {
	allow  bool
	all    bool
	unix   bool
	prefix netip.Prefix
}

func compileAccess(rules []config.AccessRule) ([]accessRule, error) {
	out := make([]accessRule, 0, len(rules))
	for _, r := range rules {
		ar := accessRule{allow: r.Allow, all: r.All, unix: r.Unix}
		if !r.All && !r.Unix {
			p, err := netip.ParsePrefix(r.CIDR)
			if err != nil {
				a, aerr := netip.ParseAddr(r.CIDR)
				if aerr != nil {
					return nil, fmt.Errorf("invalid parameter %q", r.CIDR)
				}
				p = netip.PrefixFrom(a, a.BitLen())
			}
			ar.prefix = p.Masked()
		}
		out = append(out, ar)
	}
	return out, nil
}

// accessAllowed applies the rules in order; the first match decides and no
// match allows, as in ngx_stream_access_module.
func accessAllowed(rules []accessRule, remote net.Addr) bool {
	if len(rules) == 0 {
		return true
	}
	var ip netip.Addr
	isUnix := false
	switch a := remote.(type) {
	case *net.TCPAddr:
		ip = a.AddrPort().Addr()
	case *net.UnixAddr:
		isUnix = true
	}
	for _, r := range rules {
		switch {
		case r.all:
			return r.allow
		case r.unix:
			if isUnix {
				return r.allow
			}
		case ip.IsValid():
			a := ip
			if r.prefix.Addr().Is4() {
				// An IPv4 rule also matches IPv4-mapped IPv6 clients.
				a = ip.Unmap()
			}
			if r.prefix.Contains(a) {
				return r.allow
			}
		}
	}
	return true
}
