package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/straitproxy/strait/internal/accesslog"
	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/errlog"
	"github.com/straitproxy/strait/internal/ngxconf"
	"github.com/straitproxy/strait/internal/proxy"
	"github.com/straitproxy/strait/internal/tlsconf"
	"github.com/straitproxy/strait/internal/upstream"
)

// build makes a complete snapshot from cfg without touching the running
// one. prev (may be nil) lends its limit_conn zones. On error everything
// the partial snapshot opened is closed.
func (srv *Server) build(cfg *config.Config, prev *snapshot) (_ *snapshot, err error) {
	snap := &snapshot{
		cfg:      cfg,
		files:    &accesslog.Files{},
		drained:  make(chan struct{}),
		routes:   map[string]*route{},
		maxConns: cfg.Main.WorkerConnections,

		shutdownTimeout: cfg.Main.WorkerShutdownTimeout,
	}
	snap.ctx, snap.cancel = context.WithCancelCause(srv.rootCtx)
	defer func() {
		if err != nil {
			snap.closeResources()
		}
	}()
	if snap.errLogs, err = srv.openErrorLogs(cfg); err != nil {
		return nil, err
	}
	snap.log = snap.errLogs.main
	st := cfg.Stream
	if st == nil {
		return snap, nil
	}
	var prevZones map[string]*connZone
	if prev != nil {
		prevZones = prev.zones
	}
	snap.zones = buildZones(st.LimitConnZones, prevZones)
	if snap.vars, err = compileVariables(st, srv.varOptions()); err != nil {
		return nil, err
	}
	groups, err := srv.buildGroups(cfg, prev, snap.log)
	if err != nil {
		return nil, err
	}
	streamLogs := st.ErrorLogs
	if streamLogs == nil {
		streamLogs = cfg.Main.ErrorLogs
	}
	for _, sc := range st.Servers {
		b, err := srv.buildBlock(snap, prev, sc, groups, streamLogs)
		if err != nil {
			return nil, err
		}
		snap.blocks = append(snap.blocks, b)
	}
	for _, b := range snap.blocks {
		if b.pass != nil {
			if err := b.pass.addImplicit(groups); err != nil {
				return nil, err
			}
		}
	}
	snap.groups = orderedGroups(cfg, groups, snap.blocks)
	snap.dns = groups.dns
	if err := snap.buildRoutes(); err != nil {
		return nil, err
	}
	return snap, nil
}

func (srv *Server) buildBlock(snap, prev *snapshot, sc *config.Server, groups *groupSet, streamLogs []config.ErrorLog) (*block, error) {
	b := &block{cfg: sc, stats: srv.stats.blocks.get(blockName(sc))}
	var err error
	targets := sc.ErrorLogs
	if targets == nil {
		targets = streamLogs
	}
	if b.log, err = snap.errLogs.logger(targets); err != nil {
		return nil, err
	}
	b.sets = snap.vars.sets[sc]
	b.ret = snap.vars.returns[sc]
	b.realIP = sc.RealIPFrom
	switch {
	case sc.Return != nil:
	case sc.Pass != nil:
		b.handoff, b.handoffValue = sc.Pass, snap.vars.handoffs[sc]
	case sc.ProxyPass.Value != "":
		if b.pass, err = srv.newPassByValue(snap, sc, groups); err != nil {
			return nil, err
		}
	default:
		if b.handler, b.tls, err = srv.proxyHandler(sc, groups, snap.log, snap.vars.proxies[sc]); err != nil {
			return nil, err
		}
		b.handler.HashKey = snap.vars.hashKeys[b.handler.Group.Name()]
		px := snap.vars.proxies[sc]
		b.handler.UploadRate, b.handler.DownloadRate, b.handler.Bind = px.upload, px.download, px.bind
		runs, err := healthRuns(sc, b.handler.Group, b.tls, snap.cfg.Stream.Matches)
		if err != nil {
			return nil, err
		}
		snap.health = append(snap.health, runs...)
	}
	if b.clientTLS, err = srv.buildClientTLS(snap, prev, sc); err != nil {
		return nil, err
	}
	if b.access, err = compileAccess(sc.Access); err != nil {
		return nil, fmt.Errorf("%w in %s", err, sc.Pos)
	}
	if b.limits, err = compileLimits(sc.LimitConn, snap.zones, snap.vars.keys); err != nil {
		return nil, fmt.Errorf("%w in %s", err, sc.Pos)
	}
	for _, al := range sc.AccessLogs {
		f, ok := snap.vars.formats[al.Format]
		if !ok {
			return nil, fmt.Errorf("unknown log format %q in %s", al.Format, al.Pos)
		}
		if o := syslogOptions(al.Syslog); o != nil {
			o.Hostname, o.Now = srv.opts.Hostname, srv.opts.Now
			l := &accesslog.Log{Format: f, Syslog: snap.files.Syslog(al.Path, *o), If: snap.vars.conds[al.If]}
			b.logs = append(b.logs, l)
			continue
		}
		if al.PathHasVariables {
			l := &accesslog.Log{Format: f, Paths: srv.pathLog(snap, sc, al), If: snap.vars.conds[al.If]}
			b.logs = append(b.logs, l)
			continue
		}
		w, err := snap.files.Get(al.Path, accesslog.WriterOptions{
			Buffer: al.Buffer, Flush: al.Flush, Gzip: al.Gzip,
			OnError: func(err error) { snap.log.Log(context.Background(), errlog.LevelAlert, err.Error()) },
			Now:     srv.opts.Now,
		})
		var openErr *ngxconf.OpenError
		if errors.As(err, &openErr) {
			return nil, err // nginx names the file, not the directive
		}
		if err != nil {
			return nil, fmt.Errorf("%w in %s", err, al.Pos)
		}
		l := &accesslog.Log{Format: f, Writer: w, If: snap.vars.conds[al.If]}
		b.logs = append(b.logs, l)
	}
	return b, nil
}

// pathLog is an access_log whose path has variables, with the block's
// open_log_file_cache: one cache per directive, shared by the blocks
// that inherit it, as nginx shares it.
func (srv *Server) pathLog(snap *snapshot, sc *config.Server, al config.AccessLog) *accesslog.PathLog {
	pl := &accesslog.PathLog{Path: snap.vars.paths[al.Path], Failures: snap.files.PathFailures(), Now: srv.opts.Now}
	if c := sc.OpenLogFileCache; c != nil {
		pl.Cache = snap.files.Cache(c, accesslog.CacheOptions{
			Max: c.Max, Inactive: c.Inactive, MinUses: c.MinUses, Valid: c.Valid, Now: srv.opts.Now,
		})
	}
	return pl
}

// proxyHandler builds the proxy_pass content handler of a block.
func (srv *Server) proxyHandler(sc *config.Server, groups *groupSet, log *slog.Logger, px proxyExprs) (*proxy.Handler, *tlsconf.Client, error) {
	group, err := groups.forProxyPass(sc.ProxyPass, log)
	if err != nil {
		return nil, nil, fmt.Errorf("%w in %s", err, sc.ProxyPass.Pos)
	}
	if err := checkUDPPeers(sc, group); err != nil {
		return nil, nil, err
	}
	return srv.handlerFor(sc, group, sc.ProxyPass.Host(), px)
}

// handlerFor builds a block's proxy handler for one group; sslName is
// the default proxy_ssl_name; px the block's values with variables.
func (srv *Server) handlerFor(sc *config.Server, group *upstream.Group, sslName string, px proxyExprs) (*proxy.Handler, *tlsconf.Client, error) {
	h := &proxy.Handler{
		Group:           group,
		Proxy:           sc.Proxy,
		NoDelay:         sc.TCPNoDelay,
		Buffers:         srv.pools.get(sc.Proxy.BufferSize),
		Pipes:           srv.pipes,
		Engine:          srv.engine,
		Now:             srv.opts.Now,
		OnAttemptFailed: srv.stats.attemptFailed(group.Name()),
	}
	var client *tlsconf.Client
	if sc.SSL.Enabled {
		var err error
		if h.Handshake, client, err = newHandshake(sc, sslName, srv.stats.tls.peerCertificate(group.Name()), px); err != nil {
			return nil, nil, err
		}
	}
	return h, client, nil
}

// buildRoutes assigns every listen of every block to a socket. Like nginx,
// a specific address on a port that also has a wildcard listen is served
// by the wildcard socket unless it asks for "bind". Blocks sharing an
// address share one binding, which picks among them by name.
func (s *snapshot) buildRoutes() error {
	var order []string
	bindings := map[string]*binding{}
	addrs := map[string]bindAddr{}
	wild := map[string]bool{}
	for _, blk := range s.blocks {
		for _, l := range blk.cfg.Listens {
			expanded, err := expandListen(l)
			if err != nil {
				return fmt.Errorf("%w in %s", err, l.Pos)
			}
			for _, a := range expanded {
				k := a.key()
				b, seen := bindings[k]
				if !seen {
					b = &binding{block: blk, listen: l, text: a.text()}
					bindings[k], addrs[k] = b, a
					order = append(order, k)
				}
				b.join(blk, l)
				if l.Bind {
					// The socket takes the options of the listen that
					// has them (the loader allows one).
					a.listen = l
					addrs[k] = a
				}
				if a.network == "tcp" && isWildcard(a.address) {
					wild[a.address] = true
				}
			}
		}
	}
	for _, k := range order {
		if err := bindings[k].buildNames(s.vars.reg); err != nil {
			return err
		}
	}
	attached := func(a bindAddr) bool {
		return a.network == "tcp" && !isWildcard(a.address) && !a.listen.Bind && wild[wildcardFor(a.address)]
	}
	for _, k := range order {
		if a := addrs[k]; !attached(a) {
			s.routes[k] = &route{bind: a, wildcard: bindings[k]}
		}
	}
	// Then attach the specific addresses, once every wildcard route
	// exists.
	for _, k := range order {
		a := addrs[k]
		if !attached(a) {
			continue
		}
		r := s.routes[bindAddr{network: "tcp", address: wildcardFor(a.address)}.key()]
		if r.exact == nil {
			r.exact = map[string]*binding{}
		}
		r.exact[a.address] = bindings[k]
	}
	return nil
}
