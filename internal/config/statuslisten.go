package config

import (
	"net"
	"strconv"
	"strings"

	"github.com/straitproxy/strait/internal/ngxconf"
)

// statusListenDirective is strait's own main-context directive for the
// metrics and status endpoint; nginx has no equivalent.
func statusListenDirective() Directive {
	return Directive{Name: "status_listen", Contexts: CtxMain, Args: Arg1, Syntax: "address:port | off", Default: "off",
		Module: "strait", Doc: "Extension: serves `GET /metrics` (Prometheus) and `GET /status` (JSON) over plain HTTP on this address " +
			"(`*` for every IPv4 address); see docs/metrics.md. The endpoint has no authentication, so `strait -t` warns " +
			"when the address is not a loopback one. Port 0 lets the system pick a free port, which the error log names at notice level " +
			"(`status_listen on 127.0.0.1:40123`). A reload may change or remove the address; failing to bind the new one fails the reload.",
		Set: setStatusListen}
}

// setStatusListen reads `status_listen 127.0.0.1:9145;`: an IP literal
// (IPv6 in brackets), `*` or a host name, and a port. A host name is
// resolved now and its first address used. Unlike listen, a bare port is
// refused: it would silently expose the endpoint on every address.
func setStatusListen(s *scope, d *ngxconf.Directive) error {
	v := d.Args[0].Value
	if v == "off" {
		s.l.cfg.Main.StatusListen = ""
		return nil
	}
	i := strings.LastIndexByte(v, ':')
	if i < 0 || strings.HasSuffix(v, "]") {
		return errorf(d, "no port in %q of the \"status_listen\" directive", v)
	}
	host, portText := strings.TrimSuffix(strings.TrimPrefix(v[:i], "["), "]"), v[i+1:]
	// Unlike listen, port 0 is allowed: the endpoint is strait's own, and
	// a system-chosen port (logged once bound) serves tests and
	// side-by-side instances without anyone guessing a free port.
	port, err := parseNumber(portText)
	if err != nil || port > 65535 {
		return errorf(d, "invalid port in %q of the \"status_listen\" directive", v)
	}
	var ip net.IP
	switch {
	case host == "":
		return errorf(d, "no address in %q of the \"status_listen\" directive", v)
	case host == "*":
		ip = net.IPv4zero
	case net.ParseIP(host) != nil:
		ip = net.ParseIP(host)
	default:
		ips, err := s.l.resolve(host)
		if err != nil || len(ips) == 0 {
			return errorf(d, "host not found in %q of the \"status_listen\" directive", v)
		}
		ip = net.ParseIP(ips[0])
	}
	addr := net.JoinHostPort(ip.String(), strconv.Itoa(port))
	s.l.cfg.Main.StatusListen = addr
	if !ip.IsLoopback() {
		s.l.warn(stmtPos(d), "the status endpoint on %s is not on a loopback address and has no authentication", addr)
	}
	return nil
}
