package config

import (
	"net/netip"

	"github.com/straitproxy/strait/internal/ngxaddr"
	"github.com/straitproxy/strait/internal/ngxconf"
)

// moduleDirectives are the stream modules that make variables or answer
// by themselves: set, return, geo, split_clients and realip.
func moduleDirectives() []Directive {
	return []Directive{
		{Name: "set", Contexts: CtxServer, Args: Arg2, Syntax: "$variable value",
			Module: "ngx_stream_set_module", Doc: "Sets a variable to a value with variables, before limit_conn and access rules run (nginx's pre-access phase).",
			multi: true, Set: setSet},
		{Name: "return", Contexts: CtxServer, Args: Arg1, Syntax: "value",
			Module: "ngx_stream_return_module", Doc: "Sends the value (with variables) to the client and closes, instead of proxying; of return and proxy_pass the last one given serves the block.",
			Set: setReturn},
		{Name: "geo", Contexts: CtxStream, Args: ArgBlock | Arg12, Syntax: "[$address] $variable { ... }",
			Module: "ngx_stream_geo_module", Doc: "Variable by the client address, or the address in another variable: networks (IPv4 and IPv6, longest prefix wins) or ranges, default, delete, include.",
			multi: true, Set: setGeo},
		{Name: "split_clients", Contexts: CtxStream, Args: ArgBlock | Arg2, Syntax: "string $variable { ... }",
			Module: "ngx_stream_split_clients_module", Doc: "Variable chosen by a MurmurHash2 of the string, in percentages, for A/B tests; the same key gets the same value as in nginx.",
			multi: true, Set: setSplitClients},
		{Name: "set_real_ip_from", Contexts: streamSrv, Args: Arg1, Syntax: "address | CIDR | host | unix:",
			Module: "ngx_stream_realip_module", Doc: "Trusted clients: with listen ... proxy_protocol their PROXY header's source becomes the client address ($remote_addr, allow/deny, limit_conn keys, geo).",
			multi: true, Set: setRealIPFrom,
			inherit: func(c, p *Server) { c.RealIPFrom = p.RealIPFrom }},
	}
}

// setSet records `set $variable value` like ngx_stream_set. The variable
// is defined, and the value compiled, by internal/vars.
func setSet(s *scope, d *ngxconf.Directive) error {
	name, err := varName(d, d.Args[0].Value)
	if err != nil {
		return err
	}
	s.lvl.srv.Sets = append(s.lvl.srv.Sets, SetVar{Variable: name, Value: d.Args[1].Value, Pos: stmtPos(d)})
	return nil
}

// varName reads "$name" as the variable directives (set, geo,
// split_clients) do; an empty name is nginx's `invalid variable name "$"`.
func varName(d *ngxconf.Directive, v string) (string, error) {
	if v == "" || v[0] != '$' {
		return "", errorf(d, "invalid variable name %q", v)
	}
	if v == "$" {
		return "", errorf(d, `invalid variable name "$"`)
	}
	return v[1:], nil
}

// setReturn records return. nginx keeps one content handler per server,
// set by whichever of proxy_pass and return comes last; proxy_pass clears
// Return for the same reason.
func setReturn(s *scope, d *ngxconf.Directive) error {
	s.lvl.srv.Return = &Return{Value: d.Args[0].Value, Pos: stmtPos(d)}
	s.lvl.srv.Pass = nil // the last content handler serves the block
	return nil
}

// setRealIPFrom reads one trusted address like ngx_stream_realip_from:
// "unix:", an address or network, or else a host name, resolved at load
// with each of its addresses trusted.
func setRealIPFrom(s *scope, d *ngxconf.Directive) error {
	v := d.Args[0].Value
	// A server with its own list does not inherit the stream level's,
	// as ngx_stream_realip_merge_srv_conf only fills an empty list.
	srv := s.lvl.srv
	if v == "unix:" {
		srv.RealIPFrom = append(srv.RealIPFrom, RealIPFrom{Unix: true})
		return nil
	}
	p, low, err := ngxaddr.ParseCIDR(v)
	if err != nil {
		addrs, rerr := s.l.resolve(v)
		if rerr != nil || len(addrs) == 0 {
			return errorf(d, "host not found in set_real_ip_from %q", v)
		}
		for _, a := range addrs {
			ip, err := netip.ParseAddr(a)
			if err != nil {
				return errorf(d, "host not found in set_real_ip_from %q", v)
			}
			srv.RealIPFrom = append(srv.RealIPFrom, RealIPFrom{Prefix: netip.PrefixFrom(ip, ip.BitLen())})
		}
		return nil
	}
	if low {
		s.l.warn(stmtPos(d), "low address bits of %s are meaningless", v)
	}
	srv.RealIPFrom = append(srv.RealIPFrom, RealIPFrom{Prefix: p})
	return nil
}
