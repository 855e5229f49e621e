package config

import (
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
			Syntax: "address [weight=number] [max_conns=number] [max_fails=number] [fail_timeout=time] [backup] [down]",
			Module: modUpstream, Doc: "A member of the group; a name resolving to several addresses adds each. resolve, service=, slow_start= are not supported yet.",
			multi: true, Set: setUpstreamServer},
		ignored("zone", CtxUpstream, Arg12, "name [size]", "", modUpstream,
			"Shared memory for the group's state; strait always shares peer state."),
		notYet("state", CtxUpstream, Arg1, "file", "", modUpstream, "File with the group's servers, for dynamic reconfiguration."),
		notYet("hash", CtxUpstream, Arg12, "key [consistent]", "", "ngx_stream_upstream_hash_module", "Balances by a hashed key."),
		notYet("least_conn", CtxUpstream, ArgNone, "", "", "ngx_stream_upstream_least_conn_module", "Balances to the server with the fewest connections."),
		notYet("least_time", CtxUpstream, Arg12, "connect | first_byte | last_byte [inflight]", "", "ngx_stream_upstream_least_time_module",
			"Balances to the server with the lowest average time."),
		notYet("random", CtxUpstream, ArgNone|Arg12, "[two [method]]", "", "ngx_stream_upstream_random_module", "Balances to a random server."),
	}
}

// upstreamParamsNotYet are server parameters strait refuses for now.
var upstreamParamsNotYet = []string{"resolve", "service", "slow_start", "route", "drain"}

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
		if err := upstreamParam(&us, d, a.Value); err != nil {
			return err
		}
	}
	addr := us.Address
	if strings.HasPrefix(addr, "unix:") {
		if addr == "unix:" {
			return errorf(d, "no path in the unix domain socket in upstream %q", addr)
		}
		us.Addrs = []string{addr}
	} else if host, port := splitHostPort(addr); port == "" {
		return errorf(d, "no port in upstream %q", addr)
	} else if _, err := parsePort(port); err != nil || host == "" {
		return errorf(d, "invalid port in upstream %q", addr)
	}
	s.ups.Servers = append(s.ups.Servers, us)
	return nil
}

func upstreamParam(us *UpstreamServer, d *ngxconf.Directive, p string) error {
	name, val, hasVal := strings.Cut(p, "=")
	for _, n := range upstreamParamsNotYet {
		if n == name {
			return errorf(d, "the %q parameter of \"server\" is not supported yet", name)
		}
	}
	var err error
	switch {
	case p == "backup":
		us.Backup = true
	case p == "down":
		us.Down = true
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
		if us.Addrs != nil {
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
