package config

import (
	"strings"
	"time"

	"github.com/straitproxy/strait/internal/ngxconf"
)

// streamState is what the stream {} block collects before the checks
// that need all of it.
type streamState struct {
	top             *level // stream-level settings, inherited by servers
	servers         []*level
	upstreams       map[string]*Upstream // by lower-case name
	passes          []*passRef
	listens         map[string]*addressUse // by "tcp 0.0.0.0:80"
	listenOrder     []string               // keys of listens, first seen first
	resolvers       []string
	resolverTimeout time.Duration
	resolverValid   time.Duration
	resolverNoIPv4  bool
	resolverNoIPv6  bool
	zoneRefs        []zoneRef
	zoneSizes       map[string]int // upstream zones by name; 0 = no size yet
}

// passRef is a proxy_pass waiting for the upstream blocks that may
// follow it.
type passRef struct {
	srv  *Server
	arg  string
	host string
	port string // "" when none was given
	pos  ngxconf.Pos
}

// zoneRef is a limit_conn naming a zone that may be declared later.
type zoneRef struct {
	zone string
	pos  ngxconf.Pos
}

// setStream applies the stream {} block.
func setStream(s *scope, d *ngxconf.Directive) error {
	l := s.l
	if l.stream != nil {
		return errorf(d, "%q directive is duplicate", d.Name)
	}
	top, err := l.defaultServer()
	if err != nil {
		return err
	}
	l.stream = &streamState{
		top:             newLevel(top),
		upstreams:       map[string]*Upstream{},
		listens:         map[string]*addressUse{},
		resolverTimeout: 30 * time.Second,
	}
	l.cfg.Stream = &Stream{
		LogFormats:     map[string]*LogFormat{},
		LimitConnZones: map[string]*LimitConnZone{},
	}
	return l.walk(&scope{l: l, ctx: CtxStream, lvl: l.stream.top}, d.Block)
}

// setServer applies a server {} block inside stream.
func setServer(s *scope, d *ngxconf.Directive) error {
	l := s.l
	srv, err := l.defaultServer()
	if err != nil {
		return err
	}
	srv.Pos = stmtPos(d)
	lvl := newLevel(srv)
	l.stream.servers = append(l.stream.servers, lvl)
	l.cfg.Stream.Servers = append(l.cfg.Stream.Servers, srv)
	return l.walk(&scope{l: l, ctx: CtxServer, lvl: lvl}, d.Block)
}

// defaultServer returns server settings holding every default from the
// table, applied through the directives' own setters so that the
// documented defaults and the real ones cannot drift apart.
func (l *loader) defaultServer() (*Server, error) {
	// proxy_responses has no default value: unset means no limit.
	srv := &Server{Proxy: Proxy{Responses: -1}}
	s := &scope{l: l, ctx: CtxServer, lvl: newLevel(srv), defaults: true}
	for i := range l.table {
		e := &l.table[i]
		if e.inherit == nil || e.Default == "" || e.Set == nil {
			continue
		}
		d := &ngxconf.Directive{Name: e.Name}
		for _, v := range strings.Fields(e.Default) {
			d.Args = append(d.Args, ngxconf.Arg{Value: v})
		}
		if err := e.Set(s, d); err != nil {
			return nil, err
		}
	}
	srv.ProxyPass = ProxyPass{}
	return srv, nil
}

// finish links proxy_pass to upstreams, resolves names, merges the
// stream level into servers and runs the checks nginx runs after the
// stream block, in nginx's module order.
func (st *streamState) finish(l *loader) error {
	cs := l.cfg.Stream
	cs.Resolvers = st.resolvers
	cs.ResolverTimeout = st.resolverTimeout
	cs.ResolverValid, cs.ResolverNoIPv4, cs.ResolverNoIPv6 = st.resolverValid, st.resolverNoIPv4, st.resolverNoIPv6
	for _, lvl := range st.servers {
		st.inherit(l, lvl)
		srv := lvl.srv
		if len(srv.Listens) == 0 {
			return errorAt(srv.Pos, "no \"listen\" is defined for server")
		}
		if srv.Pass != nil {
			// pass came after proxy_pass and return: it is the
			// block's content handler (the others clear it).
			srv.ProxyPass, srv.Return = ProxyPass{}, nil
		}
		if srv.ProxyPass.Pos.Line == 0 && srv.Return == nil && srv.Pass == nil {
			return errorAt(srv.Pos, "no handler for server")
		}
		finishServerName(srv)
	}
	if err := st.checkServerNames(l); err != nil {
		return err
	}
	for _, srv := range cs.Servers {
		if err := l.checkProxySSL(srv); err != nil {
			return err
		}
		if srv.SSL.Enabled && srv.HasUDP() {
			// nginx ignores proxy_ssl for UDP sessions and sends their
			// datagrams in the clear; there is no DTLS in strait either,
			// and a silent downgrade is what an operator least expects.
			return errorAt(srv.SSL.Pos, "\"proxy_ssl\" is not supported for \"udp\" listens: datagrams to upstreams cannot use TLS")
		}
		if srv.Pass != nil && srv.HasUDP() {
			// nginx refuses each such session with this error and
			// status 500; strait refuses the configuration instead.
			return errorAt(srv.Pass.Pos, "cannot pass udp connection")
		}
		if err := checkProxyPassValue(srv); err != nil {
			return err
		}
		if err := l.checkClientTLS(srv); err != nil {
			return err
		}
	}
	for _, u := range cs.Upstreams {
		if err := l.resolveUpstream(u); err != nil {
			return err
		}
	}
	if err := l.checkUpstreamZones(); err != nil {
		return err
	}
	if err := l.checkResolveServers(); err != nil {
		return err
	}
	if err := l.checkHealthChecks(); err != nil {
		return err
	}
	for _, p := range st.passes {
		if p.srv.Pass != nil {
			continue // replaced by a later pass
		}
		if err := l.linkPass(p); err != nil {
			return err
		}
	}
	for _, z := range st.zoneRefs {
		if _, ok := cs.LimitConnZones[z.zone]; !ok {
			return errorAt(z.pos, "zero size shared memory zone %q", z.zone)
		}
	}
	return nil
}

// inherit copies stream-level settings into a server that does not set
// them, as nginx's merge_srv_conf functions do.
func (st *streamState) inherit(l *loader, lvl *level) {
	for i := range l.table {
		e := &l.table[i]
		if e.inherit == nil {
			continue
		}
		key := e.settingKey()
		if _, own := lvl.set[key]; own {
			continue
		}
		if _, parent := st.top.set[key]; parent {
			e.inherit(lvl.srv, st.top.srv)
		}
	}
}
