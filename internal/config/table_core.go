package config

import (
	"context"
	"net"
	"strings"
	"time"

	"github.com/straitproxy/strait/internal/ngxconf"
)

const modStreamCore = "ngx_stream_core_module"

// coreDirectives is ngx_stream_core_module.
func coreDirectives() []Directive {
	return []Directive{
		{Name: "server", Contexts: CtxStream, Args: ArgBlock | ArgNone, Syntax: "{ ... }",
			Module: modStreamCore, Doc: "A virtual server: listeners and where their sessions go.",
			multi: true, Set: setServer},
		{Name: "listen", Contexts: CtxServer, Args: Arg1More,
			Syntax: "address:port [default_server] [ssl] [udp] [proxy_protocol] [backlog=number] [rcvbuf=size] [sndbuf=size] [bind] [ipv6only=on|off] [reuseport] [so_keepalive=on|off|[keepidle]:[keepintvl]:[keepcnt]]",
			Module: modStreamCore,
			Doc:    "Address and port to accept connections on; ssl runs a TLS handshake with clients (docs/client-tls.md); udp takes datagrams (docs/udp.md); fastopen= and setfib= are not supported yet.",
			multi:  true,
			Set:    setListen},
		srvSize("preread_buffer_size", "size", "16k", modStreamCore, "Size of the buffer for data read before proxying starts.",
			func(s *Server) *int { return &s.PrereadBufferSize }),
		srvMsec("preread_timeout", "30s", modStreamCore, "Timeout of the preread phase.",
			func(s *Server) *time.Duration { return &s.PrereadTimeout }),
		srvMsec("proxy_protocol_timeout", "30s", modStreamCore, "Timeout for reading the PROXY protocol header from clients.",
			func(s *Server) *time.Duration { return &s.ProxyProtocolTimeout }),
		srvFlag("tcp_nodelay", "on", modStreamCore, "Sets TCP_NODELAY on client and upstream connections.",
			func(s *Server) *bool { return &s.TCPNoDelay }),
		{Name: "resolver", Contexts: streamSrv | CtxUpstream, Args: Arg1More,
			Syntax: "address ... [valid=time] [ipv4=on|off] [ipv6=on|off] [status_zone=zone]",
			Module: modStreamCore, Doc: "Name servers; at stream level they resolve upstream and proxy_pass host names at load and the host names of proxy_pass values with variables per session, and with those of an upstream block they resolve its resolve servers at run time.",
			Set: setResolver},
		{Name: "resolver_timeout", Contexts: streamSrv | CtxUpstream, Args: Arg1, Syntax: "time", Default: "30s",
			Module: modStreamCore, Doc: "Timeout of name resolution.", Set: setResolverTimeout},
		ignored("variables_hash_bucket_size", CtxStream, Arg1, "size", "64", modStreamCore, "Bucket size of nginx's variables hash table."),
		ignored("variables_hash_max_size", CtxStream, Arg1, "size", "1024", modStreamCore, "Maximum size of nginx's variables hash table."),
		{Name: "error_log", Contexts: streamSrv, Args: Arg1More, Syntax: "file | stderr [level]",
			Module: modStreamCore, Doc: "Error log of the stream block or a server; unset inherits the outer level.",
			multi: true, Set: setErrorLog,
			inherit: func(c, p *Server) { c.ErrorLogs = p.ErrorLogs }},
		{Name: "server_name", Contexts: CtxServer, Args: Arg1More, Syntax: "name ...", Default: `""`, Module: modStreamCore,
			Doc:   "Names of the server, chosen among the blocks sharing a listen address by the SNI name: of the TLS handshake on listen ... ssl, else of ssl_preread (nginx 1.25.5); exact, *.example.com, .example.com, www.example.*, ~regex with captures; docs/client-tls.md.",
			multi: true, Set: setServerName},
		ignored("server_names_hash_bucket_size", CtxStream, Arg1, "size", "32|64|128", modStreamCore, "Bucket size of the server names hash table."),
		ignored("server_names_hash_max_size", CtxStream, Arg1, "size", "512", modStreamCore, "Maximum size of the server names hash table."),
	}
}

// setResolver records the stream level's name servers; elsewhere the
// directive is accepted and validated only.
func setResolver(s *scope, d *ngxconf.Directive) error {
	var servers []string
	var valid time.Duration
	var noIPv4, noIPv6 bool
	for _, a := range d.Args {
		v := a.Value
		name, val, hasVal := strings.Cut(v, "=")
		switch {
		case hasVal && (name == "ipv4" || name == "ipv6"):
			// Unlike flag directives, nginx compares these with
			// ngx_strcmp: "ipv6=OFF" is refused.
			if val != "on" && val != "off" {
				return errorf(d, "invalid parameter: %s", v)
			}
			on := val == "on"
			if name == "ipv4" {
				noIPv4 = !on
			} else {
				noIPv6 = !on
			}
		case hasVal && name == "valid":
			var err error
			if valid, err = parseSec(val); err != nil {
				return errorf(d, "invalid parameter: %s", v)
			}
		case hasVal && name == "status_zone":
		default:
			servers = append(servers, resolverAddr(v))
		}
	}
	if noIPv4 && noIPv6 {
		return errorf(d, "\"ipv4\" and \"ipv6\" cannot both be \"off\"")
	}
	switch s.ctx {
	case CtxStream:
		st := s.l.stream
		st.resolvers, st.resolverValid, st.resolverNoIPv4, st.resolverNoIPv6 = servers, valid, noIPv4, noIPv6
	case CtxUpstream:
		r := s.upstreamResolver()
		r.Servers, r.Valid, r.NoIPv4, r.NoIPv6 = servers, valid, noIPv4, noIPv6
	}
	return nil
}

// upstreamResolver returns the upstream block's own resolver settings.
func (s *scope) upstreamResolver() *UpstreamResolver {
	if s.ups.Resolver == nil {
		s.ups.Resolver = &UpstreamResolver{}
	}
	return s.ups.Resolver
}

// resolverAddr adds the default DNS port.
func resolverAddr(v string) string {
	if ip := net.ParseIP(strings.Trim(v, "[]")); ip != nil {
		return net.JoinHostPort(ip.String(), "53")
	}
	return v
}

func setResolverTimeout(s *scope, d *ngxconf.Directive) error {
	v, err := msecArg(d)
	if err == nil && s.ctx == CtxStream {
		s.l.stream.resolverTimeout = v
	}
	if err == nil && s.ctx == CtxUpstream {
		s.upstreamResolver().Timeout = v
	}
	return err
}

// dnsResolver asks the given name servers, in order, instead of the
// system's.
func dnsResolver(servers []string) *net.Resolver {
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			var err error
			for _, s := range servers {
				var c net.Conn
				if c, err = d.DialContext(ctx, network, s); err == nil {
					return c, nil
				}
			}
			return nil, err
		},
	}
}

func (l *loader) resolveTimeout() time.Duration {
	if l.stream != nil && l.stream.resolverTimeout > 0 {
		return l.stream.resolverTimeout
	}
	return 30 * time.Second
}
