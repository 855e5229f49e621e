package config

import (
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/straitproxy/strait/internal/ngxconf"
)

// Pass is `pass address;` or `pass $var;` (ngx_stream_pass_module): the
// connection goes on to the listen of this process that has the address.
type Pass struct {
	// Address is "ip:port" or "unix:/path"; "" when Value has
	// variables.
	Address string `json:",omitempty"`
	Value   string `json:",omitempty"` // the text with variables
	Pos     ngxconf.Pos
}

// setPass reads the pass directive like ngx_stream_pass: an address is
// parsed without resolving names; pass, proxy_pass and return all set
// the one content handler, so the last of them serves the block.
func setPass(s *scope, d *ngxconf.Directive) error {
	srv := s.lvl.srv
	v := d.Args[0].Value
	p := &Pass{Pos: stmtPos(d)}
	if strings.Contains(v, "$") {
		p.Value = v
	} else {
		addr, err := ParsePassAddress(v)
		if err != nil {
			return errorf(d, "%s", err.Error())
		}
		p.Address = addr
	}
	srv.Pass = p
	return nil
}

// passError is a refusal of a pass address worded as nginx's
// ngx_stream_pass: the caller gives the context.
type passError string

func (e passError) Error() string { return string(e) }

// ParsePassAddress reads a pass address as ngx_parse_url with
// no_resolve does: "unix:/path", "ip:port", "[v6]:port". The error is
// the text nginx appends to `"pass" directive ` (`has no port`,
// `has no addresses`) or an "invalid port" reason.
func ParsePassAddress(v string) (string, error) {
	if path, ok := strings.CutPrefix(v, "unix:"); ok {
		if path == "" {
			return "", passError(`no path in the unix domain socket in "` + v + `" of the "pass" directive`)
		}
		return v, nil
	}
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		if _, perr := strconv.Atoi(v); perr == nil {
			return "", passError(`"pass" directive has no addresses`)
		}
		if strings.Contains(err.Error(), "missing port") {
			return "", passError(`"pass" directive has no port`)
		}
		return "", passError(`invalid host in "` + v + `" of the "pass" directive`)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return "", passError(`invalid port in "` + v + `" of the "pass" directive`)
	}
	ip, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]"))
	if err != nil {
		// A host name: nginx does not resolve it here.
		return "", passError(`"pass" directive has no addresses`)
	}
	return netip.AddrPortFrom(ip.Unmap(), uint16(n)).String(), nil
}
