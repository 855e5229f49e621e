package config

import (
	"net"
	"strings"
	"time"

	"github.com/straitproxy/strait/internal/ngxconf"
)

const modProxy = "ngx_stream_proxy_module"

// proxyDirectives is ngx_stream_proxy_module without its proxy_ssl_*
// part.
func proxyDirectives() []Directive {
	return []Directive{
		{Name: "proxy_pass", Contexts: CtxServer, Args: Arg1, Syntax: "address",
			Module: modProxy, Doc: "Upstream group name, host:port or unix:/path the sessions go to; with variables, their value names an upstream group or an address (a host name needs a resolver).",
			Set: setProxyPass},
		{Name: "proxy_bind", Contexts: streamSrv, Args: Arg12, Syntax: "address [transparent] | off",
			Module: modProxy, Doc: "Local address of upstream connections; may contain variables (evaluated per session: an empty value binds nothing). transparent is not supported yet.",
			Set: setProxyBind, inherit: func(c, p *Server) {
				c.Proxy.Bind, c.Proxy.BindVar, c.Proxy.BindPos = p.Proxy.Bind, p.Proxy.BindVar, p.Proxy.BindPos
			}},
		srvFlag("proxy_socket_keepalive", "off", modProxy, "Sets SO_KEEPALIVE on upstream connections.",
			func(s *Server) *bool { return &s.Proxy.SocketKeepalive }),
		srvMsec("proxy_connect_timeout", "60s", modProxy, "Timeout of the TCP connect, and separately of the TLS handshake, to an upstream; meaningless for UDP.",
			func(s *Server) *time.Duration { return &s.Proxy.ConnectTimeout }),
		srvMsec("proxy_timeout", "10m", modProxy, "Idle timeout between two successive reads or writes on either side; for UDP, the session's idle timeout.",
			func(s *Server) *time.Duration { return &s.Proxy.Timeout }),
		srvSize("proxy_buffer_size", "size", "16k", modProxy, "Size of the buffers for data from the upstream and from the client.",
			func(s *Server) *int { return &s.Proxy.BufferSize }),
		rateDirective("proxy_upload_rate", "Limits the speed of reading from the client, bytes per second; 0 is unlimited. May contain variables (evaluated per session).",
			func(p *Proxy) (*int, *string, *ngxconf.Pos) { return &p.UploadRate, &p.UploadRateVar, &p.UploadRatePos }),
		rateDirective("proxy_download_rate", "Limits the speed of reading from the upstream, bytes per second; 0 is unlimited. May contain variables (evaluated per session).",
			func(p *Proxy) (*int, *string, *ngxconf.Pos) {
				return &p.DownloadRate, &p.DownloadRateVar, &p.DownloadRatePos
			}),
		srvFlag("proxy_next_upstream", "on", modProxy, "On a failed connect or TLS handshake, try the next upstream server.",
			func(s *Server) *bool { return &s.Proxy.NextUpstream }),
		srvNum("proxy_next_upstream_tries", "0", modProxy, "Limits the attempts at the next server; 0 is unlimited.",
			func(s *Server) *int { return &s.Proxy.NextUpstreamTries }),
		srvMsec("proxy_next_upstream_timeout", "0", modProxy, "Limits the time for attempts at the next server; 0 is unlimited.",
			func(s *Server) *time.Duration { return &s.Proxy.NextUpstreamTimeout }),
		srvFlag("proxy_protocol", "off", modProxy, "Sends a PROXY protocol v1 header to the upstream (in clear text, before TLS).",
			func(s *Server) *bool { return &s.Proxy.ProxyProtocol }),
		srvFlag("proxy_half_close", "off", modProxy, "Closes each direction independently; the session ends when both sides are done.",
			func(s *Server) *bool { return &s.Proxy.HalfClose }),
		srvNum("proxy_requests", "0", modProxy, "UDP: client datagrams after which a session takes no more (the next one starts a new session); 0 is no limit.",
			func(s *Server) *int { return &s.Proxy.Requests }),
		srvNum("proxy_responses", "", modProxy, "UDP: datagrams expected from the upstream per client datagram; the session ends once they arrived. Unset: it ends when idle for proxy_timeout.",
			func(s *Server) *int { return &s.Proxy.Responses }),
		notYet("proxy_downstream_buffer", streamSrv, Arg1, "size", "16k", modProxy, "Obsolete name of proxy_buffer_size."),
		notYet("proxy_upstream_buffer", streamSrv, Arg1, "size", "16k", modProxy, "Obsolete name of proxy_buffer_size."),
	}
}

// commercialDirectives are nginx Plus additions to the proxy module.
func commercialDirectives() []Directive {
	return []Directive{
		notYet("proxy_session_drop", streamSrv, ArgFlag, "on | off", "off", modProxy, "Closes sessions to servers removed from the group."),
		notYet("proxy_bind_dynamic", streamSrv, ArgFlag, "on | off", "off", modProxy, "Evaluates proxy_bind for every attempt."),
	}
}

// setProxyPass records proxy_pass; it is linked to an upstream block or
// resolved once the whole stream block is read, because the upstream
// may come later.
func setProxyPass(s *scope, d *ngxconf.Directive) error {
	v := d.Args[0].Value
	if strings.Contains(v, "$") {
		return setProxyPassValue(s, d)
	}
	srv := s.lvl.srv
	srv.ProxyPass = ProxyPass{Pos: stmtPos(d)}
	// The last of return and proxy_pass serves the block, as both set
	// nginx's one content handler.
	srv.Return, srv.Pass = nil, nil
	ref := &passRef{srv: srv, arg: v, pos: stmtPos(d)}
	if !strings.HasPrefix(v, "unix:") {
		ref.host, ref.port = splitHostPort(v)
	}
	s.l.stream.passes = append(s.l.stream.passes, ref)
	return nil
}

// splitHostPort splits "host:port" and "[v6]:port"; port is "" when
// there is none.
func splitHostPort(v string) (host, port string) {
	if h, p, err := net.SplitHostPort(v); err == nil {
		return h, p
	}
	return strings.Trim(v, "[]"), ""
}

func setProxyBind(s *scope, d *ngxconf.Directive) error {
	v := d.Args[0].Value
	if len(d.Args) == 2 {
		if d.Args[1].Value == "transparent" {
			return errorf(d, "the \"transparent\" parameter of \"proxy_bind\" is not supported yet")
		}
		return errorf(d, "invalid parameter %q", d.Args[1].Value)
	}
	px := &s.lvl.srv.Proxy
	px.Bind, px.BindVar, px.BindPos = "", "", stmtPos(d)
	if v == "off" {
		return nil
	}
	if strings.Contains(v, "$") {
		// Checked per session, as ngx_stream_proxy_set_local does.
		px.BindVar = v
		return nil
	}
	if ParseLocalAddr(v) == nil {
		return errorf(d, "invalid address %q", v)
	}
	px.Bind = v
	return nil
}

// ParseLocalAddr reads a proxy_bind address as ngx_parse_addr_port does:
// an IP literal ("10.0.0.1", "::1") or one with a port from 1 to 65535
// ("10.0.0.1:5000", "[::1]:5000"). Host names, "[::1]" without a port and
// port 0 are not addresses. It returns nil for anything else.
func ParseLocalAddr(v string) *net.TCPAddr {
	if ip := net.ParseIP(v); ip != nil {
		return &net.TCPAddr{IP: ip}
	}
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return nil
	}
	ip := net.ParseIP(host)
	n, err := parseNumber(port)
	if ip == nil || err != nil || n < 1 || n > 65535 {
		return nil
	}
	return &net.TCPAddr{IP: ip, Port: n}
}

// linkPass points a proxy_pass at its upstream block, or resolves its
// address as nginx does for implicit upstreams.
func (l *loader) linkPass(p *passRef) error {
	if strings.HasPrefix(p.arg, "unix:") {
		p.srv.ProxyPass.Address = p.arg
		p.srv.ProxyPass.Addrs = []string{p.arg}
		return nil
	}
	if u, ok := l.stream.upstreams[strings.ToLower(p.host)]; ok {
		if p.port != "" {
			return errorAt(p.pos, "upstream %q may not have port %s", u.Name, p.port)
		}
		p.srv.ProxyPass.Group = u.Name
		return nil
	}
	if p.port == "" {
		return errorAt(p.pos, "no port in upstream %q", p.host)
	}
	if _, err := parsePort(p.port); err != nil {
		return errorAt(p.pos, "invalid port in upstream %q", p.arg)
	}
	addrs, err := l.resolveHostPort(p.host, p.port)
	if err != nil {
		return errorAt(p.pos, "host not found in upstream %q", p.host)
	}
	p.srv.ProxyPass.Address = p.arg
	p.srv.ProxyPass.Addrs = addrs
	return nil
}

// resolveHostPort returns "ip:port" for every address of host.
func (l *loader) resolveHostPort(host, port string) ([]string, error) {
	ips := []string{host}
	if ip := net.ParseIP(host); ip != nil {
		ips = []string{ip.String()}
	} else {
		var err error
		if ips, err = l.resolve(host); err != nil || len(ips) == 0 {
			return nil, errInvalidValue
		}
	}
	out := make([]string, len(ips))
	for i, ip := range ips {
		out[i] = net.JoinHostPort(ip, port)
	}
	return out, nil
}

// rateDirective is proxy_upload_rate or proxy_download_rate: a size, or
// since nginx 1.27.0 a value with variables that each session evaluates
// (ngx_stream_set_complex_value_size_slot).
func rateDirective(name, doc string, field func(*Proxy) (*int, *string, *ngxconf.Pos)) Directive {
	return Directive{
		Name: name, Contexts: streamSrv, Args: Arg1, Syntax: "rate", Default: "0",
		Module: modProxy, Doc: doc,
		Set: func(s *scope, d *ngxconf.Directive) error {
			rate, expr, pos := field(&s.lvl.srv.Proxy)
			*pos = stmtPos(d)
			if v := d.Args[0].Value; strings.Contains(v, "$") {
				*rate, *expr = 0, v
				return nil
			}
			*expr = ""
			v, err := sizeArg(d)
			*rate = v
			return err
		},
		inherit: func(c, p *Server) {
			cr, ce, cp := field(&c.Proxy)
			pr, pe, pp := field(&p.Proxy)
			*cr, *ce, *cp = *pr, *pe, *pp
		},
	}
}

// ParseSize reads a size as nginx's ngx_parse_size does ("16k", "1m"), for
// values computed per session.
func ParseSize(s string) (int, error) { return parseSize(s) }
