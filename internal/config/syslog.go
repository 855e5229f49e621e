package config

import (
	"net"
	"strings"

	"github.com/straitproxy/strait/internal/ngxconf"
	"github.com/straitproxy/strait/internal/syslog"
)

// parseSyslog parses a "syslog:" target of error_log or access_log as
// ngx_syslog_parse_args does, with its wording: comma-separated
// parameters, each at most once, a server required.
func (l *loader) parseSyslog(d *ngxconf.Directive, target string) (*Syslog, error) {
	sl := &Syslog{Facility: -1, Severity: -1}
	var haveServer, haveTag bool
	for _, p := range strings.Split(strings.TrimPrefix(target, "syslog:"), ",") {
		switch {
		case strings.HasPrefix(p, "server="):
			if haveServer {
				return nil, errorf(d, "duplicate syslog \"server\"")
			}
			haveServer = true
			if err := l.syslogServer(d, sl, p[len("server="):]); err != nil {
				return nil, err
			}
		case strings.HasPrefix(p, "facility="):
			if sl.Facility >= 0 {
				return nil, errorf(d, "duplicate syslog \"facility\"")
			}
			if sl.Facility = indexOf(syslog.Facilities, p[len("facility="):]); sl.Facility < 0 {
				return nil, errorf(d, "unknown syslog facility %q", p[len("facility="):])
			}
		case strings.HasPrefix(p, "severity="):
			if sl.Severity >= 0 {
				return nil, errorf(d, "duplicate syslog \"severity\"")
			}
			if sl.Severity = indexOf(syslog.Severities, p[len("severity="):]); sl.Severity < 0 {
				return nil, errorf(d, "unknown syslog severity %q", p[len("severity="):])
			}
		case strings.HasPrefix(p, "tag="):
			if haveTag {
				return nil, errorf(d, "duplicate syslog \"tag\"")
			}
			haveTag = true
			if sl.Tag = p[len("tag="):]; len(sl.Tag) > 32 {
				// RFC 3164: the TAG is at most 32 alphanumeric characters.
				return nil, errorf(d, "syslog tag length exceeds 32")
			}
			if !validTag(sl.Tag) {
				return nil, errorf(d, "syslog \"tag\" only allows alphanumeric characters and underscore")
			}
		case p == "nohostname":
			sl.NoHostname = true
		default:
			return nil, errorf(d, "unknown syslog parameter %q", p)
		}
	}
	if !haveServer {
		return nil, errorf(d, "no syslog server specified")
	}
	if sl.Facility < 0 {
		sl.Facility = syslog.DefaultFacility
	}
	if sl.Severity < 0 {
		sl.Severity = syslog.DefaultSeverity
	}
	if !haveTag {
		// nginx's tag, so that syslog rules matching programname "nginx"
		// keep working when strait runs the same configuration.
		sl.Tag = syslog.DefaultTag
	}
	return sl, nil
}

// syslogServer parses server=address[:port] or server=unix:/path the
// way ngx_parse_url does with default port 514, resolving a name once
// and keeping its first address.
func (l *loader) syslogServer(d *ngxconf.Directive, sl *Syslog, v string) error {
	if path, ok := strings.CutPrefix(v, "unix:"); ok {
		if path == "" {
			return errorf(d, "no path in the unix domain socket in syslog server %q", v)
		}
		sl.Network, sl.Addr = "unixgram", path
		return nil
	}
	host, port, err := splitSyslogAddr(v)
	if err != "" {
		return errorf(d, "%s in syslog server %q", err, v)
	}
	if port == "" {
		port = "514"
	} else if _, perr := parsePort(port); perr != nil {
		return errorf(d, "invalid port in syslog server %q", v)
	}
	addrs, rerr := l.resolveHostPort(host, port)
	if rerr != nil {
		return errorf(d, "host not found in syslog server %q", v)
	}
	sl.Network, sl.Addr = "udp", addrs[0]
	return nil
}

// splitSyslogAddr splits host[:port] or [ipv6][:port]; the error is
// ngx_parse_url's words, or "".
func splitSyslogAddr(v string) (host, port, err string) {
	if strings.ContainsAny(v, "/?") {
		return "", "", "invalid host"
	}
	if rest, ok := strings.CutPrefix(v, "["); ok {
		h, after, found := strings.Cut(rest, "]")
		if !found || net.ParseIP(h) == nil {
			return "", "", "invalid IPv6 address"
		}
		if after == "" {
			return h, "", ""
		}
		if after[0] != ':' {
			return "", "", "invalid host"
		}
		return h, after[1:], ""
	}
	host = v
	if i := strings.LastIndexByte(v, ':'); i >= 0 {
		host, port = v[:i], v[i+1:]
		if port == "" {
			return "", "", "invalid port"
		}
	}
	if host == "" {
		return "", "", "no host"
	}
	return host, port, ""
}

// validTag allows what ngx_syslog_parse_args allows: letters, digits
// and underscore.
func validTag(tag string) bool {
	for i := 0; i < len(tag); i++ {
		c := tag[i]
		if c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' {
			continue
		}
		return false
	}
	return true
}

func indexOf(list []string, s string) int {
	for i, e := range list {
		if e == s {
			return i
		}
	}
	return -1
}
