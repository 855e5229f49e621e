package config

import (
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/straitproxy/strait/internal/ngxconf"
)

const modUpstream = "ngx_stream_upstream_module"

// upstreamDirectives is ngx_stream_upstream_module and its balancers.
func upstreamDirectives() []Directive {
	return []Directive{
		{Name: "upstream", Contexts: CtxStream, Args: ArgBlock | Arg1, Syntax: "name { ... }",
			Module: modUpstream, Doc: "A group of servers that proxy_pass can name.", multi: true,
			Set: setUpstream},
		{Name: "server", Contexts: CtxUpstream, Args: Arg1More,
			Syntax: "address [weight=number] [max_conns=number] [max_fails=number] [fail_timeout=time] [backup] [down] [resolve] [service=name]",
			Module: modUpstream, Doc: "A member of the group; a name resolving to several addresses adds each. With resolve (the group needs a zone and a resolver) the name is resolved again when its TTL runs out and peers follow the answer without a reload; service= follows SRV records (see docs/balancing.md). slow_start= is not supported yet.",
			multi: true, Set: setUpstreamServer},
		{Name: "zone", Contexts: CtxUpstream, Args: Arg12, Syntax: "name [size]", Module: modUpstream,
			Doc: "Names the group's shared state. strait runs in one process, so every group's state is shared by all server blocks and kept across reloads for the peers that stay; the size is checked as nginx checks it.",
			Set: setUpstreamZone},
		notYet("state", CtxUpstream, Arg1, "file", "", modUpstream, "File with the group's servers, for dynamic reconfiguration."),
		{Name: "hash", Contexts: CtxUpstream, Args: Arg12, Syntax: "key [consistent]", Module: "ngx_stream_upstream_hash_module",
			Doc: "Balances by the CRC32 of a key with variables, as nginx; consistent uses nginx's ketama points, so keys reach the servers nginx picks.",
			Set: setBalance},
		{Name: "least_conn", Contexts: CtxUpstream, Args: ArgNone, Module: "ngx_stream_upstream_least_conn_module",
			Doc: "Balances to the server with the fewest active connections per weight; ties by weighted round robin.", Set: setBalance},
		notYet("least_time", CtxUpstream, Arg12, "connect | first_byte | last_byte [inflight]", "", "ngx_stream_upstream_least_time_module",
			"Balances to the server with the lowest average time."),
		{Name: "random", Contexts: CtxUpstream, Args: ArgNone | Arg12, Syntax: "[two [least_conn]]", Module: "ngx_stream_upstream_random_module",
			Doc: "Balances to a server drawn by weight; with two, the one of two draws with fewer connections.", Set: setBalance},
	}
}

// upstreamParamsNotYet are server parameters strait refuses for now.
var upstreamParamsNotYet = []string{"slow_start", "route", "drain"}

func setUpstream(s *scope, d *ngxconf.Directive) error {
	st := s.l.stream
	name := d.Args[0].Value
	key := strings.ToLower(name)
	if _, dup := st.upstreams[key]; dup {
		return errorf(d, "duplicate upstream %q", name)
	}
	u := &Upstream{Name: name, Pos: stmtPos(d)}
	st.upstreams[key] = u
	s.l.cfg.Stream.Upstreams = append(s.l.cfg.Stream.Upstreams, u)
	if err := s.l.walk(&scope{l: s.l, ctx: CtxUpstream, lvl: newLevel(nil), ups: u}, d.Block); err != nil {
		return err
	}
	if len(u.Servers) == 0 {
		return errorAt(d.EndPos, "no servers are inside upstream")
	}
	return nil
}

// setUpstreamServer parses a server line like ngx_stream_upstream_server;
// names are resolved once the stream block is read.
func setUpstreamServer(s *scope, d *ngxconf.Directive) error {
	us := UpstreamServer{
		Address: d.Args[0].Value, Weight: 1, MaxFails: 1, FailTimeout: 10 * time.Second,
		Pos: stmtPos(d),
	}
	for _, a := range d.Args[1:] {
		if err := upstreamParam(s, &us, d, a.Value); err != nil {
			return err
		}
	}
	addr := us.Address
	if us.Service != "" {
		return serviceServer(s, &us, d)
	}
	if strings.HasPrefix(addr, "unix:") {
		if addr == "unix:" {
			return errorf(d, "no path in the unix domain socket in upstream %q", addr)
		}
		us.Addrs = []string{addr}
	} else if host, port := splitHostPort(addr); port == "" {
		return errorf(d, "no port in upstream %q", addr)
	} else if _, err := parsePort(port); err != nil || host == "" {
		return errorf(d, "invalid port in upstream %q", addr)
	} else if net.ParseIP(strings.Trim(host, "[]")) != nil {
		// An address needs no resolving: nginx keeps it as it is.
		us.Resolve = false
	}
	s.ups.Servers = append(s.ups.Servers, us)
	return nil
}

// serviceServer checks a server with service= as
// ngx_stream_upstream_server does: it needs resolve, a domain name and
// no port.
func serviceServer(s *scope, us *UpstreamServer, d *ngxconf.Directive) error {
	addr := us.Address
	if !us.Resolve {
		return errorf(d, "service upstream %q requires \"resolve\" parameter", addr)
	}
	if _, port := splitHostPort(addr); port != "" {
		return errorf(d, "service upstream %q may not have port", addr)
	}
	if strings.HasPrefix(addr, "unix:") || net.ParseIP(strings.Trim(addr, "[]")) != nil {
		return errorf(d, "service upstream %q requires domain name", addr)
	}
	s.ups.Servers = append(s.ups.Servers, *us)
	return nil
}

// checkResolveServers runs nginx's checks of groups with resolve
// servers (ngx_stream_upstream_init_round_robin): they need a zone and
// a resolver. The first message is nginx's, file and line inside.
func (l *loader) checkResolveServers() error {
	for _, u := range l.cfg.Stream.Upstreams {
		if !slices.ContainsFunc(u.Servers, func(s UpstreamServer) bool { return s.Resolve }) {
			continue
		}
		if u.Zone == "" {
			return fmt.Errorf("resolving names at run time requires upstream %q in %s to be in shared memory", u.Name, u.Pos)
		}
		servers := l.stream.resolvers
		if u.Resolver != nil && len(u.Resolver.Servers) > 0 {
			servers = u.Resolver.Servers
		}
		if len(servers) == 0 {
			return errorAt(u.Pos, "no resolver defined to resolve names at run time in upstream %q", u.Name)
		}
	}
	return nil
}

func upstreamParam(s *scope, us *UpstreamServer, d *ngxconf.Directive, p string) error {
	name, val, hasVal := strings.Cut(p, "=")
	for _, n := range upstreamParamsNotYet {
		if n == name {
			return errorf(d, "the %q parameter of \"server\" is not supported yet", name)
		}
	}
	var err error
	switch {
	case p == "backup":
		if m := s.ups.Balance.Method; m == "hash" || m == "random" {
			return errorf(d, "balancing method does not support parameter \"backup\"")
		}
		us.Backup = true
	case p == "down":
		us.Down = true
	case p == "resolve":
		us.Resolve = true
	case name == "service" && hasVal:
		if val == "" {
			return errorf(d, "service is empty")
		}
		us.Service = val
	case name == "weight" && hasVal:
		us.Weight, err = parseNumber(val)
		if us.Weight == 0 {
			err = errInvalidValue
		}
	case name == "max_fails" && hasVal:
		us.MaxFails, err = parseNumber(val)
	case name == "max_conns" && hasVal:
		us.MaxConns, err = parseNumber(val)
	case name == "fail_timeout" && hasVal:
		us.FailTimeout, err = parseSec(val)
	default:
		err = errInvalidValue
	}
	if err != nil {
		return errorf(d, "invalid parameter %q", p)
	}
	return nil
}

// resolveUpstream fills in the addresses of an upstream's servers.
func (l *loader) resolveUpstream(u *Upstream) error {
	for i := range u.Servers {
		us := &u.Servers[i]
		if us.Addrs != nil || us.Resolve {
			continue
		}
		host, port := splitHostPort(us.Address)
		addrs, err := l.resolveHostPort(host, port)
		if err != nil {
			return errorAt(us.Pos, "host not found in upstream %q", us.Address)
		}
		us.Addrs = addrs
	}
	return nil
}

// setBalance reads hash, least_conn and random. Like nginx, a later
// method replaces an earlier one with a warning, and hash and random
// refuse backup servers that follow them (ones written before are kept
// and only reached when the method falls back to round robin).
func setBalance(s *scope, d *ngxconf.Directive) error {
	u := s.ups
	if u.Balance.Method != "" {
		s.l.warn(stmtPos(d), "load balancing method redefined")
	}
	b := Balance{Method: d.Name, Pos: stmtPos(d)}
	args := d.Args
	switch d.Name {
	case "hash":
		b.Key, b.KeyPos = args[0].Value, args[0].Pos
		if len(args) == 2 {
			if args[1].Value != "consistent" {
				return errorf(d, "invalid parameter %q", args[1].Value)
			}
			b.Consistent = true
		}
	case "random":
		if len(args) > 0 {
			if args[0].Value != "two" {
				return errorf(d, "invalid parameter %q", args[0].Value)
			}
			b.Two = true
		}
		if len(args) == 2 && args[1].Value != "least_conn" {
			return errorf(d, "invalid parameter %q", args[1].Value)
		}
	}
	u.Balance = b
	return nil
}

// minZoneSize is nginx's smallest upstream zone: eight 4 KiB pages.
const minZoneSize = 8 * 4096

// setUpstreamZone reads zone name [size] with nginx's checks; a zone
// named without a size must be given one by another upstream.
func setUpstreamZone(s *scope, d *ngxconf.Directive) error {
	u := s.ups
	u.Zone, u.ZoneSize = d.Args[0].Value, 0
	if len(d.Args) == 2 {
		n, err := parseSize(d.Args[1].Value)
		if err != nil {
			return errorf(d, "invalid zone size %q", d.Args[1].Value)
		}
		if n < minZoneSize {
			return errorf(d, "zone %q is too small", u.Zone)
		}
		u.ZoneSize = n
	}
	st := s.l.stream
	if st.zoneSizes == nil {
		st.zoneSizes = map[string]int{}
	}
	if old, ok := st.zoneSizes[u.Zone]; ok && u.ZoneSize != 0 && old != 0 && old != u.ZoneSize {
		return errorf(d, "the size %d of shared memory zone %q conflicts with already declared size %d", u.ZoneSize, u.Zone, old)
	}
	if u.ZoneSize != 0 || st.zoneSizes[u.Zone] == 0 {
		st.zoneSizes[u.Zone] = u.ZoneSize
	}
	return nil
}

// checkUpstreamZones refuses a zone no upstream gave a size, as nginx
// does when it creates its shared memory.
func (l *loader) checkUpstreamZones() error {
	for _, u := range l.cfg.Stream.Upstreams {
		if u.Zone != "" && l.stream.zoneSizes[u.Zone] == 0 {
			return errorAt(u.Pos, "zero size shared memory zone %q", u.Zone)
		}
	}
	return nil
}
