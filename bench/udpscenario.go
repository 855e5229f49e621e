//go:build linux

package main

import (
	"context"
	"fmt"
	"math"
	"net"
	"strings"
	"time"
)

// The UDP scenario proxies DNS: strait and nginx on the same "listen ...
// udp" configuration, direct as the limit. HAProxy is left out: it proxies
// UDP only in its enterprise edition (2.6's mode tcp has no datagrams).

// udpRoutes are the two UDP routes to the DNS responder at addr: one whose
// sessions end with their answer (proxy_responses 1, as DNS is usually
// proxied), one whose sessions stay open while idle (no proxy_responses),
// which carries the many-queries-per-session load and the idle sessions.
func udpRoutes(addr string) routeTable {
	return routeTable{
		routeDNSQuery: {ID: routeDNSQuery, Upstream: addr, UDP: true, Responses: 1},
		routeDNSKeep:  {ID: routeDNSKeep, Upstream: addr, UDP: true},
	}
}

// nginxUDPServer renders a UDP route's server block. reuseport is how
// nginx is configured for UDP (each worker gets its own socket, and a
// client's datagrams always reach the same worker and so the same
// session); strait accepts it and serves one socket.
func nginxUDPServer(r route, listen string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "    # %s\n    server {\n        listen %s udp reuseport;\n        proxy_pass %s;\n", r.ID, listen, r.Upstream)
	if r.Responses > 0 {
		fmt.Fprintf(&b, "        proxy_responses %d;\n        proxy_timeout 10s;\n", r.Responses)
	} else {
		// Long enough that idle sessions outlive the scenario; the
		// proxy is stopped after it.
		b.WriteString("        proxy_timeout 10m;\n")
	}
	b.WriteString("    }\n")
	return b.String()
}

// freeUDPPorts is freePorts for UDP.
func freeUDPPorts(n int) ([]int, error) {
	var pcs []net.PacketConn
	defer func() {
		for _, pc := range pcs {
			pc.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find free udp port: %w", err)
		}
		pcs = append(pcs, pc)
		ua, ok := pc.LocalAddr().(*net.UDPAddr)
		if !ok {
			return nil, fmt.Errorf("find free udp port: unexpected address %v", pc.LocalAddr())
		}
		ports = append(ports, ua.Port)
	}
	return ports, nil
}

// udpMetrics are the UDP scenario's rows.
func udpMetrics() []metric {
	return []metric{
		{ID: "udpq-qps", Label: "DNS over UDP, a session per query: queries/s", Short: "UDP Q/S", Higher: true},
		{ID: "udpq-cpu", Label: "DNS over UDP, a session per query: proxy CPU s per 100k queries", Short: "UDP CPU", Digits: 3},
		{ID: "udpk-qps", Label: "DNS over UDP, sessions kept: queries/s", Short: "UDP Q/S KEPT", Higher: true},
		{ID: "udpk-cpu", Label: "DNS over UDP, sessions kept: proxy CPU s per 100k queries", Short: "UDP CPU KEPT", Digits: 3},
		{ID: "udp-idle-kb", Label: "idle UDP sessions: proxy RSS KB per session", Short: "UDP IDLE KB", Digits: 1},
	}
}

// udpScenario measures queries/s and CPU per query on both UDP routes,
// then, through a proxy, the memory of idle sessions.
func udpScenario(ctx context.Context, w *world, in *instance, sz sizes) (map[string]float64, error) {
	out := map[string]float64{}
	for _, l := range []struct{ id, prefix string }{{routeDNSQuery, "udpq"}, {routeDNSKeep, "udpk"}} {
		u0 := in.usage()
		res := udpQueryLoad(ctx, in.listen[l.id], sz.ConnWorkers, sz.ConnDuration)
		u1 := in.usage()
		if err := res.check(); err != nil {
			return out, fmt.Errorf("%s: %w", l.id, err)
		}
		out[l.prefix+"-qps"] = res.rate()
		if !in.isDirect() {
			out[l.prefix+"-cpu"] = cpuPer(u1.CPUSeconds-u0.CPUSeconds, res.Answered, 100_000)
		}
	}
	if in.isDirect() {
		return out, nil
	}
	kb, err := udpIdleMemory(ctx, in, sz)
	if err != nil {
		return out, fmt.Errorf("idle sessions: %w", err)
	}
	out["udp-idle-kb"] = kb
	return out, nil
}

// cpuPer is CPU seconds per unit operations, NaN without any.
func cpuPer(seconds float64, ops int64, unit float64) float64 {
	if ops <= 0 {
		return math.NaN()
	}
	return seconds / float64(ops) * unit
}

// udpIdleMemory is the growth of the proxy's RSS per idle UDP session, in
// KB, as idleMemory measures TCP sessions.
func udpIdleMemory(ctx context.Context, in *instance, sz sizes) (float64, error) {
	addr := in.listen[routeDNSKeep]
	warm, err := openUDPSessions(ctx, addr, 16, 4, sz.Timeout)
	closeAll(warm)
	if err != nil {
		return 0, fmt.Errorf("warm-up: %w", err)
	}
	settle(ctx, 300*time.Millisecond)
	before := in.usage()
	conns, err := openUDPSessions(ctx, addr, sz.IdleSessions, 32, sz.Timeout)
	defer closeAll(conns)
	if err != nil {
		return 0, err
	}
	settle(ctx, time.Second)
	after := in.usage()
	return rssPerSession(before, after, len(conns)), nil
}

// rssPerSession is the RSS growth between two readings per session, in
// KB, never below zero.
func rssPerSession(before, after usage, sessions int) float64 {
	if sessions <= 0 {
		return math.NaN()
	}
	kb := (float64(after.RSSBytes) - float64(before.RSSBytes)) / 1024 / float64(sessions)
	return math.Max(kb, 0)
}
