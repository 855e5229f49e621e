// Package check implements `strait check`: for every server block with
// proxy_ssl on it connects to every peer of the block's upstream with the
// block's own compiled TLS profile and timeouts, and reports what a
// session would meet there: the connect result, the TLS version and
// cipher, the presented chain, the verification verdict, whether a client
// certificate was asked for and taken, and whether sessions resume. Each
// failure is worded exactly as a session would log it.
package check

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/tlsconf"
	"github.com/straitproxy/strait/internal/upstream"
)

// DefaultReadWait bounds the read after a handshake. TLS 1.3 lets the
// client finish its handshake before the upstream has judged the client
// certificate, so a refusal only shows as an alert on the first read; the
// read also takes in session tickets for the resumption test.
const DefaultReadWait = time.Second

// parallel bounds how many peers are checked at once.
const parallel = 8

// Options tunes Run; the zero value is usable.
type Options struct {
	// ReadWait is how long to wait for an alert (or data) after a
	// handshake; 0 means DefaultReadWait. It never exceeds the block's
	// proxy_connect_timeout.
	ReadWait time.Duration
}

// Run checks every server block of cfg with proxy_ssl on. Its report is
// complete even when peers fail; the error is for a block whose TLS
// settings do not compile, which `strait -t` would have refused.
func Run(ctx context.Context, cfg *config.Config, opts Options) (*Report, error) {
	if opts.ReadWait <= 0 {
		opts.ReadWait = DefaultReadWait
	}
	rep := &Report{Version: SchemaVersion, Config: cfg.File, Servers: []Server{}}
	var jobs []func()
	if cfg.Stream != nil {
		for _, sc := range cfg.Stream.Servers {
			if !sc.SSL.Enabled {
				continue
			}
			client, err := tlsconf.NewClient(sc.SSL, sc.ProxyPass.Host())
			if err != nil {
				return nil, err // it names the directive's FILE:LINE
			}
			rep.Servers = append(rep.Servers, describe(sc, client))
			srv := &rep.Servers[len(rep.Servers)-1]
			peers, err := peersOf(cfg.Stream, sc.ProxyPass)
			if err != nil {
				srv.Error = err.Error()
				continue
			}
			srv.Peers = make([]Peer, len(peers))
			for i, p := range peers {
				srv.Peers[i] = Peer{Address: p.Addr, Server: p.Name, Backup: p.Backup, Down: p.Down, Chain: []Certificate{}}
				if p.Down {
					continue
				}
				pc := peerCheck{client: client, proxy: sc.Proxy, reuse: sc.SSL.SessionReuse, wait: opts.ReadWait}
				out := &srv.Peers[i]
				jobs = append(jobs, func() { pc.run(ctx, out) })
			}
		}
	}
	// Servers' Peers slices are final here, so the jobs' pointers stay
	// valid while they run.
	runAll(jobs)
	failed, _ := rep.Failed()
	rep.OK = failed == 0
	return rep, nil
}

func runAll(jobs []func()) {
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for _, job := range jobs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			job()
		})
	}
	wg.Wait()
}

func describe(sc *config.Server, c *tlsconf.Client) Server {
	s := Server{
		Position: sc.Pos.String(), Upstream: sc.ProxyPass.Group, Name: c.Name(),
		Verify: sc.SSL.Verify, Listen: []string{}, Pins: []string{}, Peers: []Peer{},
	}
	if s.Upstream == "" {
		s.Upstream = sc.ProxyPass.Address
	}
	for _, l := range sc.Listens {
		s.Listen = append(s.Listen, l.Address)
	}
	for _, p := range sc.SSL.Pins {
		s.Pins = append(s.Pins, tlsconf.EncodePin(p))
	}
	return s
}

// peersOf lists the peers sessions of a block may use, as the server
// builds its groups: an upstream block's servers, each resolved address a
// peer, primaries then backups; or the addresses of proxy_pass.
func peersOf(st *config.Stream, pp config.ProxyPass) ([]upstream.PeerStatus, error) {
	var name string
	var specs []upstream.ServerSpec
	switch {
	case pp.Group != "":
		name = pp.Group
		for _, u := range st.Upstreams {
			if u.Name != pp.Group {
				continue
			}
			for _, s := range u.Servers {
				specs = append(specs, upstream.ServerSpec{Name: s.Address, Addrs: addrsOf(s.Address, s.Addrs),
					Weight: s.Weight, MaxFails: s.MaxFails, FailTimeout: s.FailTimeout,
					MaxConns: s.MaxConns, Backup: s.Backup, Down: s.Down})
			}
		}
	default:
		name = pp.Address
		specs = []upstream.ServerSpec{upstream.DefaultServerSpec(pp.Address, addrsOf(pp.Address, pp.Addrs)...)}
	}
	g, err := upstream.NewGroup(name, specs, upstream.Options{})
	if err != nil {
		return nil, err
	}
	return g.Peers(), nil
}

// addrsOf is what configuration loading resolved; a unix socket stands
// for itself.
func addrsOf(address string, addrs []string) []string {
	if len(addrs) == 0 && strings.HasPrefix(address, "unix:") {
		return []string{address}
	}
	return addrs
}
