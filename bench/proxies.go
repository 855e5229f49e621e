//go:build linux

package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Target names.
const (
	nameStrait  = "strait"
	nameNginx   = "nginx"
	nameHAProxy = "haproxy"
	nameDirect  = "direct"
)

// target is one column of the table: a proxy the harness can start, or
// the direct baseline.
type target struct {
	Name string
	// PlainOnly targets (prototype engines) serve plain TCP routes only
	// and run only scenarios marked PlainTCP.
	PlainOnly bool
	// start writes the configuration into dir and starts the proxy; nil
	// for the direct baseline.
	start func(ctx context.Context, w *world, dir string, listen map[string]string) (*process, error)
}

// instance is a started target for one scenario.
type instance struct {
	target  string
	routes  routeTable
	listen  map[string]string // route -> address the client dials
	proc    *process          // nil for direct
	pki     *pkiFiles
	resumes map[string]*tls.Config // direct only: client TLS per route
	procfs  procReader
	facts   map[string]string // observations for the report, e.g. key exchange
	sys     syscallTool       // counts the proxy's system calls
	dir     string            // the proxy's directory; "" for direct
}

// isDirect reports whether clients talk straight to the upstreams.
func (in *instance) isDirect() bool { return in.proc == nil }

// usage is the proxy's summed CPU and RSS; zero for direct.
func (in *instance) usage() usage {
	if in.proc == nil {
		return usage{}
	}
	return in.procfs.usage(in.proc.PID())
}

// dial opens a client connection for a route: plain TCP to the proxy, or
// for the direct baseline the same protocol the proxy would speak to the
// upstream (TLS with the client certificate where the route has TLS).
func (in *instance) dial(ctx context.Context, id string) (net.Conn, error) {
	d := net.Dialer{Timeout: 10 * time.Second}
	c, err := d.DialContext(ctx, "tcp", in.listen[id])
	if err != nil {
		return nil, err
	}
	r := in.routes[id]
	if !in.isDirect() || !r.TLS {
		return c, nil
	}
	tc := tls.Client(c, in.resumes[id])
	hctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := tc.HandshakeContext(hctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("direct TLS handshake: %w", err)
	}
	return tc, nil
}

// launch starts t for one scenario; the caller stops it with finish.
func (w *world) launch(ctx context.Context, t target) (*instance, error) {
	in := &instance{target: t.Name, routes: w.routes, pki: w.pki, resumes: map[string]*tls.Config{}, procfs: w.procfs,
		facts: map[string]string{}, sys: w.sys}
	if t.start == nil {
		in.listen = map[string]string{}
		for id, r := range w.routes {
			in.listen[id] = r.Upstream
			// One client config per route, made before any dial: its
			// session cache is what makes direct connections resume.
			in.resumes[id] = w.pki.clientTLS(r.Reuse)
		}
		return in, nil
	}
	listen, err := listenPlan(w.routes)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(w.tmp, t.Name+"-")
	if err != nil {
		return nil, fmt.Errorf("proxy dir: %w", err)
	}
	p, err := t.start(ctx, w, dir, listen)
	if err != nil {
		return nil, err
	}
	var addrs, udpAddrs []string
	for id, a := range listen {
		if t.PlainOnly && !w.routes[id].plainTCP() {
			continue // not configured: nothing listens there
		}
		if w.routes[id].UDP {
			// A target that cannot proxy UDP (HAProxy) gets no UDP
			// route in its configuration: nothing answers there.
			if !slices.Contains(udpIncapable(), t.Name) {
				udpAddrs = append(udpAddrs, a)
			}
		} else {
			addrs = append(addrs, a)
		}
	}
	err = waitListening(ctx, p, addrs, 15*time.Second)
	for _, a := range udpAddrs {
		if err == nil {
			err = waitAnswering(ctx, p, a, 15*time.Second)
		}
	}
	if err != nil {
		w.sup.stop(p)
		return nil, fmt.Errorf("%w%s", err, logTail(dir))
	}
	in.listen, in.proc, in.dir = listen, p, dir
	if w.sys.missing != "" {
		in.facts["system calls"] = w.sys.missing
	}
	return in, nil
}

// finish stops the instance's proxy, if any.
func (w *world) finish(in *instance) {
	if in != nil && in.proc != nil {
		w.sup.stop(in.proc)
	}
}

// logTail returns the last lines of the logs in a proxy directory, for
// error messages.
func logTail(dir string) string {
	var b strings.Builder
	for _, name := range []string{"error.log", "stdout.log"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || len(data) == 0 {
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		if len(lines) > 5 {
			lines = lines[len(lines)-5:]
		}
		fmt.Fprintf(&b, "\n  %s: %s", name, strings.Join(lines, "\n  "))
	}
	return b.String()
}

func writeConfig(dir, name, text string) (string, error) {
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return path, nil
}

// nginxModulePreamble loads the stream module the way Debian's
// libnginx-mod-stream does; a config given with -c skips modules-enabled.
const nginxModulePreamble = "load_module /usr/lib/nginx/modules/ngx_stream_module.so;\n\n"

func nginxTarget(bin string) target {
	return target{Name: nameNginx, start: func(ctx context.Context, w *world, dir string, listen map[string]string) (*process, error) {
		conf, err := writeConfig(dir, "nginx.conf", nginxConfig(nginxModulePreamble, dir, w.limits, w.routes, listen, w.pki))
		if err != nil {
			return nil, err
		}
		return w.sup.start(bin, filepath.Join(dir, "stdout.log"), "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", conf)
	}}
}

func haproxyTarget(bin string) target {
	return target{Name: nameHAProxy, start: func(ctx context.Context, w *world, dir string, listen map[string]string) (*process, error) {
		conf, err := writeConfig(dir, "haproxy.cfg", haproxyConfig(runtime.NumCPU(), w.limits, w.routes, listen, w.pki))
		if err != nil {
			return nil, err
		}
		return w.sup.start(bin, filepath.Join(dir, "stdout.log"), "-db", "-f", conf)
	}}
}

// straitTarget runs strait on the nginx configuration, without the
// load_module line that only Debian's nginx packaging needs.
func straitTarget(bin string) target {
	return target{Name: nameStrait, start: func(ctx context.Context, w *world, dir string, listen map[string]string) (*process, error) {
		conf, err := writeConfig(dir, "strait.conf", nginxConfig("", dir, w.limits, w.routes, listen, w.pki))
		if err != nil {
			return nil, err
		}
		return w.sup.start(bin, filepath.Join(dir, "stdout.log"), "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", conf)
	}}
}

func directTarget() target { return target{Name: nameDirect} }
