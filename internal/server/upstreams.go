package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/straitproxy/strait/internal/accesslog"
	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/proxy"
	"github.com/straitproxy/strait/internal/tlsconf"
	"github.com/straitproxy/strait/internal/upstream"
)

// groupSet holds a snapshot's upstream groups: the upstream {} blocks and
// the implicit groups of proxy_pass addresses, shared by every block that
// names the same address (as nginx shares implicit upstreams).
type groupSet struct {
	named    map[string]*upstream.Group
	implicit map[string]*upstream.Group
	opts     upstream.Options
	// prev are the groups of the running snapshot by name: a group of
	// the same name takes over their peers' state.
	prev map[string]*upstream.Group
	// mandatory: groups with mandatory health checks, [persistent too].
	mandatory map[string][2]bool
	// dns are the groups with resolve servers and their DNS clients.
	dns []dnsRun
}

// buildGroups builds the upstream groups of cfg; prev (may be nil) is
// the snapshot being replaced, whose groups hand their peers' state
// (failures, active connections, health) to the groups of the same name.
func (srv *Server) buildGroups(cfg *config.Config, prev *snapshot, log *slog.Logger) (*groupSet, error) {
	gs := &groupSet{
		named:    map[string]*upstream.Group{},
		implicit: map[string]*upstream.Group{},
		opts:     upstream.Options{Now: srv.opts.Now, Logger: log},
		prev:     map[string]*upstream.Group{},
	}
	if prev != nil {
		for _, g := range prev.groups {
			gs.prev[g.Name()] = g
		}
	}
	gs.mandatory = mandatoryChecks(cfg.Stream)
	for _, u := range cfg.Stream.Upstreams {
		specs := make([]upstream.ServerSpec, 0, len(u.Servers))
		for _, s := range u.Servers {
			var addrs []string
			if !s.Resolve {
				var err error
				if addrs, err = resolved(s.Address, s.Addrs); err != nil {
					return nil, fmt.Errorf("%w in upstream %q in %s", err, u.Name, s.Pos)
				}
			}
			specs = append(specs, upstream.ServerSpec{
				Name: s.Address, Addrs: addrs, Weight: s.Weight, MaxFails: s.MaxFails,
				FailTimeout: s.FailTimeout, MaxConns: s.MaxConns, Backup: s.Backup, Down: s.Down,
				Resolve: s.Resolve, Service: s.Service,
			})
		}
		dns := upstreamResolver(cfg.Stream, u)
		opts := gs.opts
		opts.Method = balanceMethod(u.Balance)
		opts.Previous = gs.prev[u.Name]
		opts.Mandatory, opts.Persistent = gs.mandatory[u.Name][0], gs.mandatory[u.Name][1]
		opts.ResolverTimeout = dns.Timeout
		g, err := upstream.NewGroup(u.Name, specs, opts)
		if err != nil {
			return nil, fmt.Errorf("%w in %s", err, u.Pos)
		}
		gs.named[u.Name] = g
		if g.FollowsDNS() {
			gs.dns = append(gs.dns, dnsRun{group: g, resolver: dnsClient{dns}})
		}
	}
	return gs, nil
}

// forProxyPass returns the group a proxy_pass names, building an implicit
// one (nginx defaults: weight 1, max_fails 1, fail_timeout 10s) for an
// address.
func (gs *groupSet) forProxyPass(pp config.ProxyPass, log *slog.Logger) (*upstream.Group, error) {
	if pp.Group != "" {
		g, ok := gs.named[pp.Group]
		if !ok {
			return nil, fmt.Errorf("no upstream %q", pp.Group)
		}
		return g, nil
	}
	if pp.Address == "" {
		return nil, fmt.Errorf("no proxy_pass")
	}
	if g, ok := gs.implicit[pp.Address]; ok {
		return g, nil
	}
	addrs, err := resolved(pp.Address, pp.Addrs)
	if err != nil {
		return nil, err
	}
	opts := gs.opts
	opts.Previous = gs.prev[pp.Address]
	opts.Mandatory, opts.Persistent = gs.mandatory[pp.Address][0], gs.mandatory[pp.Address][1]
	g, err := upstream.NewGroup(pp.Address, []upstream.ServerSpec{upstream.DefaultServerSpec(pp.Address, addrs...)}, opts)
	if err != nil {
		return nil, err
	}
	gs.implicit[pp.Address] = g
	return g, nil
}

// balanceMethod converts an upstream's balancing directive.
func balanceMethod(b config.Balance) upstream.Method {
	switch b.Method {
	case "least_conn":
		return upstream.Method{Kind: upstream.LeastConn}
	case "hash":
		return upstream.Method{Kind: upstream.Hash, Consistent: b.Consistent}
	case "random":
		return upstream.Method{Kind: upstream.Random, Two: b.Two}
	}
	return upstream.Method{}
}

// resolved returns the addresses config resolved, resolving here only when
// the configuration was built without a loader (tests, embedding).
func resolved(address string, addrs []string) ([]string, error) {
	if len(addrs) > 0 {
		return addrs, nil
	}
	if strings.HasPrefix(address, "unix:") {
		return []string{address}, nil
	}
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("invalid address %q: %w", address, err)
	}
	if net.ParseIP(host) != nil {
		return []string{address}, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ips, err := net.DefaultResolver.LookupHost(ctx, host)
	if err != nil || len(ips) == 0 {
		return nil, fmt.Errorf("host not found in upstream %q", address)
	}
	out := make([]string, 0, len(ips))
	for _, ip := range ips {
		out = append(out, net.JoinHostPort(ip, port))
	}
	return out, nil
}

// newHandshake compiles a block's proxy_ssl_* settings into the proxy's
// handshake hook, and returns the TLS client for the file watcher.
// name is the default proxy_ssl_name (the host part of proxy_pass).
// onLeaf receives the certificate of each peer that completes a
// handshake. px carries proxy_ssl_name and proxy_ssl_certificate written
// with variables, which every attempt evaluates.
func newHandshake(sc *config.Server, name string, onLeaf func(peer string, leaf *x509.Certificate), px proxyExprs) (proxy.HandshakeFunc, *tlsconf.Client, error) {
	c, err := tlsconf.NewClient(sc.SSL, name)
	if err != nil {
		return nil, nil, err
	}
	return func(ctx context.Context, conn net.Conn, peer string, rec *accesslog.Session) (*tls.Conn, accesslog.UpstreamSSL, error) {
		ch := tlsChoice(px, rec)
		tc, info, err := c.HandshakeFor(ctx, conn, peer, ch)
		if info.ServerName == "" && !ch.NameSet {
			info.ServerName = c.Name() // the name verification used
		}
		if err == nil && info.PeerLeaf != nil {
			onLeaf(peer, info.PeerLeaf)
		}
		return tc, accesslog.UpstreamSSL{
			Used: true, Protocol: info.Protocol, Cipher: info.Cipher, Reused: info.Reused,
			Verify: info.Verify, ServerName: info.ServerName,
		}, err
	}, c, nil
}

// tlsChoice evaluates an attempt's proxy_ssl_name and
// proxy_ssl_certificate with variables; nginx reads the key only when
// the certificate is not empty.
func tlsChoice(px proxyExprs, rec *accesslog.Session) tlsconf.Choice {
	var ch tlsconf.Choice
	if rec == nil {
		return ch
	}
	if px.sslName != nil {
		ch.Name, ch.NameSet = px.sslName.Value(rec), true
	}
	if px.sslCert != nil {
		ch.Certificate, ch.CertificateSet = px.sslCert.Value(rec), true
		if ch.Certificate != "" && px.sslKey != nil {
			ch.Key = px.sslKey.Value(rec)
		}
	}
	return ch
}
