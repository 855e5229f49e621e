//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// world is everything shared by all targets during a run: the PKI, the
// upstreams and the processes to clean up.
type world struct {
	tmp    string
	sup    *supervisor
	pki    *pkiFiles
	routes routeTable
	procfs procReader
	redis  *process
	goUps  map[string]*goUpstream // by route
	dns    *dnsResponder          // upstream of the UDP routes
	limits proxyLimits
	sys    syscallTool
}

// newWorld generates the PKI and starts redis-server and the Go upstreams.
// On error everything started so far is stopped.
func newWorld(ctx context.Context, tmp string, sup *supervisor, fileLimit uint64) (w *world, err error) {
	w = &world{tmp: tmp, sup: sup, procfs: newProcReader(), goUps: map[string]*goUpstream{}, routes: routeTable{},
		limits: limitsFor(fileLimit), sys: findSyscallTool(exec.LookPath)}
	defer func() {
		if err != nil {
			w.close()
			w = nil
		}
	}()
	if w.pki, err = writePKI(tmp); err != nil {
		return nil, err
	}
	var plain, tlsAddr string
	if w.redis, plain, tlsAddr, err = startRedis(ctx, sup, tmp, w.pki); err != nil {
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	w.routes[routeRedisPlain] = route{ID: routeRedisPlain, Upstream: plain}
	w.routes[routeRedisTLS] = route{ID: routeRedisTLS, Upstream: tlsAddr, TLS: true, Reuse: true}
	goRoutes := []struct {
		id    string
		kind  upstreamKind
		tls   bool
		reuse bool
	}{
		{routePingResume, kindPing, true, true},
		{routePingFull, kindPing, true, false},
		{routeEchoTLS, kindEcho, true, true},
		{routeSinkTLS, kindSink, true, true},
		{routeSinkPlain, kindSink, false, false},
	}
	for _, gr := range goRoutes {
		cfg := w.pki.serverTLS()
		if !gr.tls {
			cfg = nil
		}
		u, err := startGoUpstream(gr.kind, cfg)
		if err != nil {
			return nil, err
		}
		w.goUps[gr.id] = u
		w.routes[gr.id] = route{ID: gr.id, Upstream: u.Addr(), TLS: gr.tls, Reuse: gr.reuse}
	}
	if w.dns, err = startDNSResponder(runtime.NumCPU()); err != nil {
		return nil, err
	}
	for id, r := range udpRoutes(w.dns.Addr()) {
		w.routes[id] = r
	}
	return w, nil
}

func (w *world) close() {
	for _, u := range w.goUps {
		u.Close()
	}
	if w.dns != nil {
		w.dns.Close()
	}
	if w.redis != nil {
		w.sup.stop(w.redis)
	}
}

// upstream returns the Go upstream of a route.
func (w *world) upstream(id string) (*goUpstream, error) {
	u, ok := w.goUps[id]
	if !ok {
		return nil, fmt.Errorf("route %q has no harness upstream", id)
	}
	return u, nil
}

// errMissingTools lists tools the harness needs and could not find.
var errMissingTools = errors.New("missing tools")

// checkTools reports which of the required programs are not installed,
// with the Debian packages that provide them. It installs nothing.
func checkTools(lookPath func(string) (string, error), needNginx, needHAProxy bool) error {
	type tool struct{ bin, pkg string }
	tools := []tool{{"redis-server", "redis-server"}, {"redis-benchmark", "redis-tools"}}
	if needNginx {
		tools = append(tools, tool{"nginx", "nginx"})
	}
	if needHAProxy {
		tools = append(tools, tool{"haproxy", "haproxy"})
	}
	var missing, pkgs []string
	for _, t := range tools {
		if _, err := lookPath(t.bin); err != nil {
			missing = append(missing, t.bin)
			pkgs = append(pkgs, t.pkg)
		}
	}
	if needNginx {
		if _, err := os.Stat("/usr/lib/nginx/modules/ngx_stream_module.so"); err != nil {
			missing = append(missing, "ngx_stream_module.so")
			pkgs = append(pkgs, "libnginx-mod-stream")
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %s; install with: apt-get install %s", errMissingTools,
			strings.Join(missing, ", "), strings.Join(pkgs, " "))
	}
	return nil
}
