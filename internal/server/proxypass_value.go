package server

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/proxy"
	"github.com/straitproxy/strait/internal/upstream"
	"github.com/straitproxy/strait/internal/vars"
)

// maxPassTLSClients bounds the proxy_ssl clients kept for addresses a
// proxy_pass with variables named; past it each session builds its own.
const maxPassTLSClients = 64

// passByValue is the content handler of a proxy_pass with variables,
// after ngx_stream_proxy_eval and ngx_stream_proxy_handler: the value
// names an upstream block (by name, without a port) or an implicit
// upstream another proxy_pass made ("host:port"), else it must be an
// address, which gets a one-peer group of its own for the session.
type passByValue struct {
	value  *vars.Expr
	groups map[string]*proxy.Handler // by lower-case name or "host:port"
	srv    *Server
	sc     *config.Server
	opts   upstream.Options
	px     proxyExprs
	dns    *passResolver // nil without a resolver directive

	mu         sync.Mutex
	tlsClients map[string]proxy.HandshakeFunc // by proxy_ssl_name
}

func (srv *Server) newPassByValue(snap *snapshot, sc *config.Server, groups *groupSet) (*passByValue, error) {
	p := &passByValue{
		value: snap.vars.passes[sc], groups: map[string]*proxy.Handler{},
		srv: srv, sc: sc, opts: groups.opts, px: snap.vars.proxies[sc],
		dns: newPassResolver(snap.cfg.Stream, srv.now),
	}
	for name, g := range groups.named {
		h, _, err := srv.handlerFor(sc, g, name, p.px)
		if err != nil {
			return nil, fmt.Errorf("%w in %s", err, sc.ProxyPass.Pos)
		}
		h.HashKey = snap.vars.hashKeys[name]
		p.groups[strings.ToLower(name)] = h
	}
	return p, nil
}

// addImplicit adds the upstreams that proxy_pass addresses made, known
// once every block is built.
func (p *passByValue) addImplicit(groups *groupSet) error {
	for addr, g := range groups.implicit {
		key := strings.ToLower(addr)
		if _, ok := p.groups[key]; ok {
			continue
		}
		h, _, err := p.srv.handlerFor(p.sc, g, config.ProxyPass{Address: addr}.Host(), p.px)
		if err != nil {
			return fmt.Errorf("%w in %s", err, p.sc.ProxyPass.Pos)
		}
		p.groups[key] = h
	}
	return nil
}

// pick evaluates the value for one session and returns its handler. On
// failure it logs nginx's words and sets the record's status, and
// returns nil.
func (p *passByValue) pick(ps *proxy.Session) *proxy.Handler {
	v := string(p.value.Append(nil, ps.Record))
	if h, ok := p.groups[strings.ToLower(v)]; ok {
		return h
	}
	addr, host, status, msg := parsePassValue(v)
	addrs := []string{addr}
	if status == statusResolve {
		addrs, status, msg = p.resolve(host, addr)
	}
	if status != 0 {
		ps.Log.Error(msg, ps.ClientAttrs()...)
		ps.Record.Status = status
		return nil
	}
	g, err := upstream.NewGroup(addr, []upstream.ServerSpec{upstream.DefaultServerSpec(addr, addrs...)}, p.opts)
	if err != nil {
		ps.Log.Error(err.Error(), ps.ClientAttrs()...)
		ps.Record.Status = 500
		return nil
	}
	h := &proxy.Handler{
		Group: g, Proxy: p.sc.Proxy, NoDelay: p.sc.TCPNoDelay,
		Buffers: p.srv.pools.get(p.sc.Proxy.BufferSize), Pipes: p.srv.pipes, Now: p.srv.opts.Now,
	}
	if p.sc.SSL.Enabled {
		if h.Handshake, err = p.handshake(host); err != nil {
			ps.Log.Error(err.Error(), ps.ClientAttrs()...)
			ps.Record.Status = 500
			return nil
		}
	}
	return h
}

// handshake returns the proxy_ssl hook for a default proxy_ssl_name.
func (p *passByValue) handshake(name string) (proxy.HandshakeFunc, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if f, ok := p.tlsClients[name]; ok {
		return f, nil
	}
	f, _, err := newHandshake(p.sc, name, p.srv.stats.tls.peerCertificate(name), p.px)
	if err != nil {
		return nil, err
	}
	if len(p.tlsClients) < maxPassTLSClients {
		if p.tlsClients == nil {
			p.tlsClients = map[string]proxy.HandshakeFunc{}
		}
		p.tlsClients[name] = f
	}
	return f, nil
}

// statusResolve is parsePassValue's status for a host name, which the
// session resolves before it connects.
const statusResolve = -1

// resolve resolves host for a session, as ngx_stream_proxy_handler and
// ngx_stream_proxy_resolve_handler do: without a resolver the session
// ends with 502, a failed resolution with 500. addr is "host:port".
func (p *passByValue) resolve(host, addr string) (addrs []string, status int, msg string) {
	if p.dns == nil {
		return nil, 502, fmt.Sprintf("no resolver defined to resolve %s", host)
	}
	ips, err := p.dns.lookup(context.Background(), host)
	if err != nil {
		return nil, 500, fmt.Sprintf("%s could not be resolved (%v)", host, err)
	}
	_, port, _ := net.SplitHostPort(addr)
	for _, ip := range ips {
		addrs = append(addrs, net.JoinHostPort(ip.String(), port))
	}
	return addrs, 0, ""
}

// parsePassValue reads a value that names no upstream as nginx's
// ngx_parse_url does for proxy_pass: "ip:port", "[v6]:port" or
// "unix:/path". It returns the address and its host, or the status and
// message nginx ends the session with: 500 for a value that is not an
// address, 502 for a missing port; statusResolve for a host name.
func parsePassValue(v string) (addr, host string, status int, msg string) {
	if strings.HasPrefix(v, "unix:") {
		if len(v) == len("unix:") {
			return "", "", 500, fmt.Sprintf("no path in the unix domain socket in upstream %q", v)
		}
		return v, "", 0, ""
	}
	if v == "" {
		return "", "", 500, fmt.Sprintf("no host in upstream %q", v)
	}
	h, port, err := net.SplitHostPort(v)
	if err != nil {
		h, port = strings.Trim(v, "[]"), ""
	}
	if port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "", "", 500, fmt.Sprintf("invalid port in upstream %q", v)
		}
	}
	ip, err := netip.ParseAddr(h)
	switch {
	case port == "":
		return "", "", 502, fmt.Sprintf("no port in upstream %q", h)
	case err != nil:
		// A name: resolved per session (passByValue.resolve).
		return net.JoinHostPort(h, port), h, statusResolve, ""
	}
	return net.JoinHostPort(ip.String(), port), h, 0, ""
}
