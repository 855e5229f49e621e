package config

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/straitproxy/strait/internal/ngxconf"
)

const modHealth = "ngx_stream_upstream_hc_module"

// healthDirectives are active health checks: NGINX Plus's syntax, a
// strait extension to nginx open source.
func healthDirectives() []Directive {
	return []Directive{
		{Name: "health_check", Contexts: CtxServer, Args: ArgAny,
			Syntax: "[interval=time] [jitter=time] [fails=number] [passes=number] [port=number] [match=name] [mandatory [persistent]]",
			Module: modHealth, multi: true, Set: setHealthCheck,
			Doc: "Checks the peers of the block's upstream group, with the block's proxy_ssl_* settings; unhealthy peers get no sessions. A strait extension with NGINX Plus's syntax; udp is not supported."},
		srvMsec("health_check_timeout", "5s", modHealth, "Timeout of one health check: connect, TLS handshake and match.",
			func(s *Server) *time.Duration { return &s.HealthCheckTimeout }),
		{Name: "match", Contexts: CtxStream, Args: ArgBlock | Arg1, Syntax: "name { send string; expect string | ~ regex; }",
			Module: modHealth, multi: true, Set: setMatch,
			Doc: "What a health check sends and the reply it expects."},
	}
}

// setHealthCheck reads health_check's parameters with NGINX Plus's
// defaults and words.
func setHealthCheck(s *scope, d *ngxconf.Directive) error {
	hc := HealthCheck{Interval: 5 * time.Second, Fails: 1, Passes: 1, Pos: stmtPos(d)}
	for _, a := range d.Args {
		name, val, hasVal := strings.Cut(a.Value, "=")
		var err error
		switch {
		case name == "interval" && hasVal:
			hc.Interval, err = parseMsec(val)
			if hc.Interval <= 0 {
				err = errInvalidValue
			}
		case name == "jitter" && hasVal:
			hc.Jitter, err = parseMsec(val)
		case name == "fails" && hasVal:
			hc.Fails, err = parseNumber(val)
			if hc.Fails == 0 {
				err = errInvalidValue
			}
		case name == "passes" && hasVal:
			hc.Passes, err = parseNumber(val)
			if hc.Passes == 0 {
				err = errInvalidValue
			}
		case name == "port" && hasVal:
			hc.Port, err = parsePort(val)
		case name == "match" && hasVal:
			hc.Match = val
		case a.Value == "mandatory":
			hc.Mandatory = true
		case a.Value == "persistent":
			hc.Persistent = true
		case a.Value == "udp":
			return errorf(d, "the \"udp\" parameter of \"health_check\" is not supported yet")
		default:
			err = errInvalidValue
		}
		if err != nil {
			return errorf(d, "invalid parameter %q", a.Value)
		}
	}
	if hc.Persistent && !hc.Mandatory {
		return errorf(d, "\"persistent\" requires \"mandatory\"")
	}
	srv := s.lvl.srv
	srv.HealthChecks = append(srv.HealthChecks, hc)
	return nil
}

// setMatch reads a match block: one send and one expect at most.
func setMatch(s *scope, d *ngxconf.Directive) error {
	cs := s.l.cfg.Stream
	name := d.Args[0].Value
	if cs.Matches == nil {
		cs.Matches = map[string]*Match{}
	}
	if _, dup := cs.Matches[name]; dup {
		return errorf(d, "duplicate match %q", name)
	}
	m := &Match{Name: name, Pos: stmtPos(d)}
	for _, e := range d.Block {
		switch {
		case e.HasBlock:
			return errorf(e, "unexpected \"{\"")
		case e.Name == "send" && len(e.Args) == 1:
			m.Send = unescapeHex(e.Args[0].Value)
		case e.Name == "expect" && len(e.Args) == 1:
			m.Expect = unescapeHex(e.Args[0].Value)
		case e.Name == "expect" && len(e.Args) == 2 && e.Args[0].Value == "~":
			if _, err := regexp.Compile(e.Args[1].Value); err != nil {
				return errorf(e, "invalid regex %q: %v", e.Args[1].Value, err)
			}
			m.Expect, m.ExpectRegex = e.Args[1].Value, true
		case e.Name == "send" || e.Name == "expect":
			return errorf(e, "invalid number of arguments in %q directive", e.Name)
		default:
			return errorf(e, "unknown directive %q", e.Name)
		}
	}
	cs.Matches[name] = m
	return nil
}

// unescapeHex decodes the \xHH escapes NGINX Plus allows in send and
// expect strings; other text is kept as the lexer returned it.
func unescapeHex(v string) string {
	if !strings.Contains(v, `\x`) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == '\\' && i+3 < len(v) && v[i+1] == 'x' {
			if n, err := strconv.ParseUint(v[i+2:i+4], 16, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// checkHealthChecks links health checks to match blocks and refuses a
// check in a block without an upstream to check.
func (l *loader) checkHealthChecks() error {
	for _, srv := range l.cfg.Stream.Servers {
		for _, hc := range srv.HealthChecks {
			if hc.Match != "" && l.cfg.Stream.Matches[hc.Match] == nil {
				return errorAt(hc.Pos, "match %q not found", hc.Match)
			}
			if srv.ProxyPass.Pos.Line == 0 {
				return errorAt(hc.Pos, "health check requires proxy_pass")
			}
		}
	}
	return nil
}
