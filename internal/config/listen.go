package config

import (
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/straitproxy/strait/internal/ngxconf"
)

// listenNotYet are listen parameters nginx knows and strait refuses for
// now; a prefix ending in "=" matches any value.
var listenNotYet = []string{"fastopen=", "setfib=", "multipath", "accept_filter=", "deferred"}

// udpIncompatible are the listen parameters nginx refuses beside "udp",
// in the order ngx_stream_core_listen checks them; a prefix ending in "="
// matches any value.
var udpIncompatible = []string{"backlog=", "ssl", "so_keepalive=", "proxy_protocol", "fastopen="}

// setListen parses `listen address[:port] [parameters]` like
// ngx_stream_core_listen, one Listen per resolved address.
func setListen(s *scope, d *ngxconf.Directive) error {
	tmpl := Listen{Network: "tcp", Backlog: -1, IPv6Only: true, Pos: stmtPos(d)}
	if err := checkUDPParams(d); err != nil {
		return err
	}
	for _, a := range d.Args[1:] {
		if err := listenParam(&tmpl, d, a.Value); err != nil {
			return err
		}
	}
	addrs, err := listenAddrs(s.l, d, d.Args[0].Value)
	if err != nil {
		return err
	}
	srv := s.lvl.srv
	for _, addr := range addrs {
		ls := tmpl
		ls.Address, ls.PortHigh = addr.address, addr.portHigh
		if addr.unix {
			if ls.Network == "udp" {
				return errorf(d, "the \"udp\" parameter of \"listen\" is not supported yet on a unix domain socket")
			}
			ls.Network = "unix"
		}
		key := ls.Network + " " + addr.text
		if err := s.l.stream.addListenUse(d, srv, key, addr.text, ls); err != nil {
			return err
		}
		srv.Listens = append(srv.Listens, ls)
	}
	return nil
}

func listenParam(ls *Listen, d *ngxconf.Directive, p string) error {
	name, val, hasVal := strings.Cut(p, "=")
	for _, n := range listenNotYet {
		if n == p || (strings.HasSuffix(n, "=") && hasVal && n == name+"=") {
			return errorf(d, "the %q parameter of \"listen\" is not supported yet", name)
		}
	}
	var err error
	switch {
	case p == "bind":
		ls.Bind = true
	case p == "reuseport":
		ls.ReusePort, ls.Bind = true, true
	case p == "udp":
		ls.Network = "udp"
	case p == "ssl":
		ls.SSL = true
	case p == "proxy_protocol":
		ls.ProxyProtocol = true
	case p == "default_server":
		ls.DefaultServer = true
	case name == "backlog" && hasVal:
		ls.Backlog, err = strconv.Atoi(val)
		if err != nil || ls.Backlog == 0 || val == "" || val[0] == '+' {
			return errorf(d, "invalid backlog %q", p)
		}
		ls.Bind = true
	case (name == "rcvbuf" || name == "sndbuf") && hasVal:
		n, err := parseSize(val)
		if err != nil {
			return errorf(d, "invalid %s %q", name, p)
		}
		if name == "rcvbuf" {
			ls.RcvBuf = n
		} else {
			ls.SndBuf = n
		}
		ls.Bind = true
	case name == "ipv6only" && hasVal:
		on, ok := parseFlag(val)
		if !ok || val != strings.ToLower(val) {
			return errorf(d, "the invalid %q parameter", p)
		}
		ls.IPv6Only, ls.Bind = on, true
	case name == "so_keepalive" && hasVal:
		if err := parseKeepAlive(&ls.KeepAlive, val); err != nil {
			return errorf(d, "invalid so_keepalive value: %q", val)
		}
		ls.Bind = true
	default:
		return errorf(d, "the invalid %q parameter", p)
	}
	return nil
}

// checkUDPParams refuses, with nginx's words, the parameters that make no
// sense for a datagram socket when "udp" is among a listen's parameters.
// It runs before the parameters are read one by one, so that "udp ssl"
// gets nginx's answer rather than "ssl" being unsupported.
func checkUDPParams(d *ngxconf.Directive) error {
	udp := false
	for _, a := range d.Args[1:] {
		udp = udp || a.Value == "udp"
	}
	if !udp {
		return nil
	}
	for _, bad := range udpIncompatible {
		for _, a := range d.Args[1:] {
			name, _, hasVal := strings.Cut(a.Value, "=")
			if a.Value == bad || (hasVal && bad == name+"=") {
				return errorf(d, "\"listen\" directive \"%s\" parameter is incompatible with \"udp\"", strings.TrimSuffix(bad, "="))
			}
		}
	}
	return nil
}

// parseKeepAlive reads so_keepalive=on|off|[keepidle]:[keepintvl]:[keepcnt].
func parseKeepAlive(k *KeepAlive, v string) error {
	k.Set = true
	switch v {
	case "on":
		k.On = true
		return nil
	case "off":
		return nil
	}
	parts := strings.Split(v, ":")
	if len(parts) != 3 {
		return errInvalidValue
	}
	k.On = true
	var err error
	if parts[0] != "" {
		if k.Idle, err = parseSec(parts[0]); err != nil || k.Idle < time.Second {
			return errInvalidValue
		}
	}
	if parts[1] != "" {
		if k.Interval, err = parseSec(parts[1]); err != nil || k.Interval < time.Second {
			return errInvalidValue
		}
	}
	if parts[2] != "" {
		if k.Count, err = parseNumber(parts[2]); err != nil || k.Count == 0 {
			return errInvalidValue
		}
	}
	if parts[0] == "" && parts[1] == "" && parts[2] == "" {
		return errInvalidValue
	}
	return nil
}

// listenAddr is one address a listen directive binds.
type listenAddr struct {
	address  string // "0.0.0.0:80", "[::1]:80", "/path"
	text     string // nginx's addr_text, for messages
	portHigh int
	unix     bool
}

// listenAddrs turns `*:80`, `80`, `[::1]:80`, `host:80`, `80-89` or
// `unix:/path` into addresses.
func listenAddrs(l *loader, d *ngxconf.Directive, v string) ([]listenAddr, error) {
	if p, ok := strings.CutPrefix(v, "unix:"); ok {
		if p == "" {
			return nil, errorf(d, "no path in the unix domain socket in %q of the \"listen\" directive", v)
		}
		return []listenAddr{{address: p, text: v, unix: true}}, nil
	}
	host, portText := "", v
	if i := strings.LastIndexByte(v, ':'); i >= 0 && !strings.HasSuffix(v, "]") {
		host, portText = v[:i], v[i+1:]
	} else if _, err := parsePortRange(v); err != nil {
		// Not a bare port: an address without one.
		return nil, errorf(d, "no port in %q of the \"listen\" directive", v)
	}
	low, err := parsePortRange(portText)
	if err != nil {
		return nil, errorf(d, "invalid port in %q of the \"listen\" directive", v)
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	var ips []string
	switch {
	case host == "" || host == "*":
		ips = []string{"0.0.0.0"}
	case net.ParseIP(host) != nil:
		ips = []string{net.ParseIP(host).String()}
	default:
		ips, err = l.resolve(host)
		if err != nil || len(ips) == 0 {
			return nil, errorf(d, "host not found in %q of the \"listen\" directive", v)
		}
	}
	var out []listenAddr
	for _, ip := range ips {
		a := net.JoinHostPort(ip, strconv.Itoa(low[0]))
		text := a
		if low[1] > 0 {
			text += "-" + strconv.Itoa(low[1])
		}
		out = append(out, listenAddr{address: a, text: text, portHigh: low[1]})
	}
	return out, nil
}

// parsePortRange reads "80" or "8000-8010"; the high port is 0 for a
// single port.
func parsePortRange(s string) ([2]int, error) {
	lo, hi, isRange := strings.Cut(s, "-")
	a, err := parsePort(lo)
	if err != nil {
		return [2]int{}, err
	}
	if !isRange {
		return [2]int{a, 0}, nil
	}
	b, err := parsePort(hi)
	if err != nil || b < a {
		return [2]int{}, errInvalidValue
	}
	return [2]int{a, b}, nil
}

func parsePort(s string) (int, error) {
	n, err := parseNumber(s)
	if err != nil || n < 1 || n > 65535 {
		return 0, errInvalidValue
	}
	return n, nil
}
