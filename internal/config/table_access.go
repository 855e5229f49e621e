package config

import (
	"net"
	"strings"

	"github.com/straitproxy/strait/internal/ngxconf"
)

const modLimitConn = "ngx_stream_limit_conn_module"

// accessDirectives are ngx_stream_access_module,
// ngx_stream_limit_conn_module and ngx_stream_map_module.
func accessDirectives() []Directive {
	return []Directive{
		accessRule("allow", true), accessRule("deny", false),
		{Name: "limit_conn_zone", Contexts: CtxStream, Args: Arg2, Syntax: "key zone=name:size",
			Module: modLimitConn, Doc: "Declares a zone counting connections per key (e.g. $binary_remote_addr).",
			multi: true, Set: setLimitConnZone},
		{Name: "limit_conn", Contexts: streamSrv, Args: Arg2, Syntax: "zone number",
			Module: modLimitConn, Doc: "Limits simultaneous connections per key of the zone; excess sessions end with status 503.",
			multi: true, Set: setLimitConn,
			inherit: func(c, p *Server) { c.LimitConn = p.LimitConn }},
		{Name: "limit_conn_log_level", Contexts: streamSrv, Args: Arg1, Syntax: "info | notice | warn | error",
			Default: "error", Module: modLimitConn, Doc: "Log level of refused connections.",
			Set: func(s *scope, d *ngxconf.Directive) error {
				v, ok := parseEnum(d.Args[0].Value, "info", "notice", "warn", "error")
				if !ok {
					return errorf(d, "invalid value %q", d.Args[0].Value)
				}
				s.lvl.srv.LimitConnLogLevel = v
				return nil
			},
			inherit: func(c, p *Server) { c.LimitConnLogLevel = p.LimitConnLogLevel }},
		srvFlag("limit_conn_dry_run", "off", modLimitConn, "Counts and logs but does not refuse.",
			func(s *Server) *bool { return &s.LimitConnDryRun }),
		{Name: "map", Contexts: CtxStream, Args: ArgBlock | Arg2, Syntax: "string $variable { ... }",
			Module: "ngx_stream_map_module", Doc: "Variable computed from any value expression (exact keys, hostnames wildcards, ~regex and ~*regex with $1..$9 and named captures, default, volatile); evaluated when first read, cached per session unless volatile.",
			multi: true, Set: setMap},
		ignored("map_hash_bucket_size", CtxStream, Arg1, "size", "32|64|128", "ngx_stream_map_module", "Bucket size of map hash tables."),
		ignored("map_hash_max_size", CtxStream, Arg1, "size", "2048", "ngx_stream_map_module", "Maximum size of map hash tables."),
	}
}

func accessRule(name string, allow bool) Directive {
	return Directive{
		Name: name, Contexts: streamSrv, Args: Arg1, Syntax: "address | CIDR | unix: | all",
		Module: "ngx_stream_access_module",
		Doc:    "Client access rule, checked in order; a level with any allow or deny replaces the outer rules.",
		multi:  true, key: "access",
		Set: func(s *scope, d *ngxconf.Directive) error {
			r, err := parseAccessRule(s.l, d, allow)
			s.lvl.srv.Access = append(s.lvl.srv.Access, r)
			return err
		},
		inherit: func(c, p *Server) { c.Access = p.Access },
	}
}

// parseAccessRule reads all, unix:, an address or a CIDR like
// ngx_stream_access_rule.
func parseAccessRule(l *loader, d *ngxconf.Directive, allow bool) (AccessRule, error) {
	v := d.Args[0].Value
	r := AccessRule{Allow: allow}
	switch v {
	case "all":
		r.All = true
		return r, nil
	case "unix:":
		r.Unix = true
		return r, nil
	}
	if ip := net.ParseIP(v); ip != nil {
		bits := 128
		if ip4 := ip.To4(); ip4 != nil {
			ip, bits = ip4, 32
		}
		r.CIDR = (&net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)}).String()
		return r, nil
	}
	ip, n, err := net.ParseCIDR(v)
	if err != nil {
		return r, errorf(d, "invalid parameter %q", v)
	}
	if !ip.Equal(n.IP) {
		l.warn(stmtPos(d), "low address bits of %s are meaningless", v)
	}
	r.CIDR = n.String()
	return r, nil
}

func setLimitConnZone(s *scope, d *ngxconf.Directive) error {
	key, zone := d.Args[0].Value, d.Args[1].Value
	spec, ok := strings.CutPrefix(zone, "zone=")
	if !ok {
		return errorf(d, "invalid parameter %q", zone)
	}
	name, sizeText, ok := strings.Cut(spec, ":")
	if !ok || name == "" {
		return errorf(d, "invalid zone size %q", zone)
	}
	size, err := parseSize(sizeText)
	if err != nil {
		return errorf(d, "invalid zone size %q", zone)
	}
	// nginx needs room for at least 8 memory pages.
	if size < 8*4096 {
		return errorf(d, "zone %q is too small", zone)
	}
	zones := s.l.cfg.Stream.LimitConnZones
	if z, dup := zones[name]; dup {
		return errorf(d, "limit_conn_zone %q is already bound to key %q", name, z.Key)
	}
	zones[name] = &LimitConnZone{Name: name, Key: key, Size: size, Pos: stmtPos(d)}
	return nil
}

func setLimitConn(s *scope, d *ngxconf.Directive) error {
	zone, max := d.Args[0].Value, d.Args[1].Value
	srv := s.lvl.srv
	for _, lc := range srv.LimitConn {
		if lc.Zone == zone {
			return errorf(d, "%q directive is duplicate", d.Name)
		}
	}
	n, err := parseNumber(max)
	if err != nil || n == 0 || n > 65535 {
		return errorf(d, "invalid number of connections %q", max)
	}
	srv.LimitConn = append(srv.LimitConn, LimitConn{Zone: zone, Max: n})
	s.l.stream.zoneRefs = append(s.l.stream.zoneRefs, zoneRef{zone: zone, pos: stmtPos(d)})
	return nil
}
