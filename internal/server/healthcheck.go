package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/proxy"
	"github.com/straitproxy/strait/internal/tlsconf"
	"github.com/straitproxy/strait/internal/upstream"
)

// maxMatchRead bounds what a check reads while waiting for its expect.
const maxMatchRead = 16 << 10

// healthRun is one health_check of a block, bound to the group the block
// proxies to.
type healthRun struct {
	group *upstream.Group
	spec  upstream.CheckSpec
}

// healthRuns builds the health checks of a block: each probes the group's
// peers as a session would reach them, through the block's proxy_ssl_*
// settings (client), then runs the match exchange.
func healthRuns(sc *config.Server, g *upstream.Group, client *tlsconf.Client, matches map[string]*config.Match) ([]healthRun, error) {
	var out []healthRun
	for _, hc := range sc.HealthChecks {
		var m *config.Match
		var re *regexp.Regexp
		if hc.Match != "" {
			m = matches[hc.Match]
			if m == nil {
				return nil, fmt.Errorf("match %q not found in %s", hc.Match, hc.Pos)
			}
			if m.ExpectRegex {
				var err error
				if re, err = regexp.Compile(m.Expect); err != nil {
					return nil, fmt.Errorf("invalid regex %q in %s", m.Expect, m.Pos)
				}
			}
		}
		port := hc.Port
		probe := func(ctx context.Context, addr string) error {
			return runProbe(ctx, checkAddr(addr, port), addr, client, m, re)
		}
		out = append(out, healthRun{group: g, spec: upstream.CheckSpec{
			Interval: hc.Interval, Jitter: hc.Jitter, Fails: hc.Fails, Passes: hc.Passes,
			Timeout: sc.HealthCheckTimeout, Probe: probe,
		}})
	}
	return out, nil
}

// checkAddr is the address a check connects to: the peer's, or its host
// with the check's port.
func checkAddr(addr string, port int) string {
	if port == 0 || strings.HasPrefix(addr, "unix:") {
		return addr
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return net.JoinHostPort(host, strconv.Itoa(port))
}

// runProbe is one check: connect, TLS handshake (a full one, verified as
// sessions are), then send and expect.
func runProbe(ctx context.Context, dialAddr, peerAddr string, client *tlsconf.Client, m *config.Match, re *regexp.Regexp) error {
	network, target := "tcp", dialAddr
	if path, ok := strings.CutPrefix(dialAddr, "unix:"); ok {
		network, target = "unix", path
	}
	var d net.Dialer
	raw, err := d.DialContext(ctx, network, target)
	if err != nil {
		if ctx.Err() != nil {
			return errors.New("upstream timed out (110: Connection timed out)")
		}
		if errno := proxy.Errno(err); errno != "" {
			return errors.New("connect() failed " + errno)
		}
		return fmt.Errorf("connect() failed: %w", err)
	}
	defer raw.Close()
	conn := raw
	if client != nil {
		tc, err := client.Check(ctx, raw, peerAddr)
		if err != nil {
			return err
		}
		defer tc.Close()
		conn = tc
	}
	if m == nil {
		return nil
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	if m.Send != "" {
		if _, err := conn.Write([]byte(m.Send)); err != nil {
			return fmt.Errorf("send() failed (%w)", err)
		}
	}
	if m.Expect == "" {
		return nil
	}
	var got []byte
	buf := make([]byte, 4096)
	for len(got) < maxMatchRead {
		n, err := conn.Read(buf)
		got = append(got, buf[:n]...)
		if re != nil && re.Match(got) || re == nil && bytes.Contains(got, []byte(m.Expect)) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("health check response does not match %q (%d bytes read: %w)", m.Name, len(got), err)
		}
	}
	return fmt.Errorf("health check response does not match %q", m.Name)
}

// startChecks runs the health checks of snap while it is the running
// configuration; unwatch stops them. Results land in the groups' zones,
// which the next configuration takes over.
func (s *Server) startChecks(snap *snapshot) {
	if len(snap.health) == 0 {
		return
	}
	ctx, cancel := context.WithCancel(s.rootCtx)
	var wg sync.WaitGroup
	for _, r := range snap.health {
		spec := r.spec
		if ticks := s.opts.HealthTicks; ticks != nil {
			spec.Sleep = func(ctx context.Context, _ time.Duration) bool {
				select {
				case <-ticks:
					return true
				case <-ctx.Done():
					return false
				}
			}
		}
		wg.Go(func() { r.group.RunChecks(ctx, spec) })
	}
	snap.mu.Lock()
	snap.stopChecks = func() {
		cancel()
		wg.Wait()
	}
	snap.mu.Unlock()
}

// mandatoryChecks reports, by upstream name (or proxy_pass address),
// whether a health check of a block proxying to it is mandatory, and
// whether every such check is also persistent.
func mandatoryChecks(st *config.Stream) map[string][2]bool {
	out := map[string][2]bool{}
	for _, sc := range st.Servers {
		name := sc.ProxyPass.Group
		if name == "" {
			name = sc.ProxyPass.Address
		}
		for _, hc := range sc.HealthChecks {
			if !hc.Mandatory {
				continue
			}
			m, seen := out[name]
			m[1] = hc.Persistent && (!seen || m[1])
			m[0] = true
			out[name] = m
		}
	}
	return out
}
