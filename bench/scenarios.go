//go:build linux

package main

import (
	"context"
	"fmt"
	"math"
	"time"
)

// sizes bound every scenario in count and time.
type sizes struct {
	RedisRequests int           // per redis-benchmark test
	ConnWorkers   int           // parallel connection clients
	ConnDuration  time.Duration // per connection scenario
	BulkBytes     int64         // per bulk transfer (split over sessions)
	LatencyCount  int           // measured round trips
	IdleSessions  int
	IdleCapped    bool          // IdleSessions lowered to fit RLIMIT_NOFILE
	Timeout       time.Duration // hard bound for one scenario on one target
}

func fullSizes() sizes {
	return sizes{RedisRequests: 100_000, ConnWorkers: 32, ConnDuration: 10 * time.Second,
		BulkBytes: 1 << 30, LatencyCount: 20_000, IdleSessions: 10_000, Timeout: 3 * time.Minute}
}

func quickSizes() sizes {
	return sizes{RedisRequests: 10_000, ConnWorkers: 32, ConnDuration: 1500 * time.Millisecond,
		BulkBytes: 128 << 20, LatencyCount: 2_000, IdleSessions: 1_000, Timeout: 30 * time.Second}
}

// fitFileLimit caps the idle sessions so that two descriptors per session
// (client and upstream side here; client and upstream side in a
// single-process proxy) fit under the file limit, with room to spare.
func (s sizes) fitFileLimit(limit uint64) sizes {
	room := (int64(limit) - 500) / 2
	if room < int64(s.IdleSessions) {
		s.IdleSessions = int(max(room, 1))
		s.IdleCapped = true
	}
	return s
}

// scenario is one kind of load; run returns metric values by metric id.
type scenario struct {
	Name     string
	NoDirect bool     // meaningless without a proxy (memory of the proxy)
	Skip     []string // targets that cannot do it (HAProxy: UDP)
	// PlainTCP scenarios use only plain TCP routes; only they run on
	// prototype engines (-engine). Their metric ids start with "plain-".
	PlainTCP bool
	run      func(ctx context.Context, w *world, in *instance, sz sizes) (map[string]float64, error)
}

func scenarioTable() []scenario {
	return []scenario{
		{Name: "requests", run: func(ctx context.Context, w *world, in *instance, sz sizes) (map[string]float64, error) {
			return redisRequests(ctx, w, in, sz, routeRedisTLS, "req")
		}},
		{Name: "conn-resumed", run: func(ctx context.Context, w *world, in *instance, sz sizes) (map[string]float64, error) {
			return connections(ctx, w, in, sz, routePingResume, "connr")
		}},
		{Name: "conn-full", run: func(ctx context.Context, w *world, in *instance, sz sizes) (map[string]float64, error) {
			return connections(ctx, w, in, sz, routePingFull, "connf")
		}},
		{Name: "bulk", run: func(ctx context.Context, w *world, in *instance, sz sizes) (map[string]float64, error) {
			return bulk(ctx, in, sz, routeSinkTLS, "bulk")
		}},
		{Name: "latency", run: latency},
		{Name: "idle-memory", NoDirect: true, run: idleMemory},
		{Name: "udp", Skip: udpIncapable(), run: udpScenario},
		{Name: "plain", PlainTCP: true, run: func(ctx context.Context, w *world, in *instance, sz sizes) (map[string]float64, error) {
			out, err := redisRequests(ctx, w, in, sz, routeRedisPlain, "plain")
			if err != nil {
				return nil, err
			}
			b, err := bulk(ctx, in, sz, routeSinkPlain, "plain-bulk")
			for k, v := range b {
				out[k] = v
			}
			return out, err
		}},
	}
}

func redisRequests(ctx context.Context, w *world, in *instance, sz sizes, id, prefix string) (map[string]float64, error) {
	var tlsFiles *pkiFiles
	if in.isDirect() && in.routes[id].TLS {
		tlsFiles = w.pki
	}
	ctx, cancel := context.WithTimeout(ctx, sz.Timeout)
	defer cancel()
	sc := in.countSyscalls()
	u0 := in.usage()
	rs, err := runRedisBenchmark(ctx, redisBenchmarkArgs(in.listen[id], sz.RedisRequests, tlsFiles))
	u1 := in.usage()
	calls, serr := sc.stop()
	if err != nil {
		return nil, err
	}
	out := map[string]float64{prefix + "-rps": aggregateRPS(rs)}
	if !in.isDirect() {
		total := float64(sz.RedisRequests * len(rs))
		out[prefix+"-cpu"] = (u1.CPUSeconds - u0.CPUSeconds) / total * 100_000
		if serr == nil {
			out[prefix+"-sys"] = calls / total
		}
	}
	return out, nil
}

func connections(ctx context.Context, w *world, in *instance, sz sizes, id, prefix string) (map[string]float64, error) {
	up, err := w.upstream(id)
	if err != nil {
		return nil, err
	}
	sc := in.countSyscalls()
	h0, k0, u0 := up.Handshakes(), up.KeyExchanges(), in.usage()
	res := connectionLoad(ctx, in, id, sz.ConnWorkers, sz.ConnDuration, 1_000_000)
	h1, k1, u1 := up.Handshakes(), up.KeyExchanges(), in.usage()
	calls, serr := sc.stop()
	if kx := mostUsedKeyExchange(k0, k1); kx != "" {
		in.facts["key exchange to the Go upstream"] = kx
	}
	if res.Conns == 0 || res.Errors*100 > res.Conns {
		return nil, fmt.Errorf("%d connections, %d failed: %v", res.Conns, res.Errors, res.LastErr)
	}
	hs := handshakeCount{Total: h1.Total - h0.Total, Resumed: h1.Resumed - h0.Resumed}
	out := map[string]float64{
		prefix + "-rate":    float64(res.Conns) / res.Elapsed.Seconds(),
		prefix + "-resumed": hs.ResumedShare(),
	}
	if !in.isDirect() {
		out[prefix+"-cpu"] = (u1.CPUSeconds - u0.CPUSeconds) / float64(res.Conns) * 1000
		if serr == nil {
			out[prefix+"-sys"] = calls / float64(res.Conns)
		}
	}
	return out, nil
}

func bulk(ctx context.Context, in *instance, sz sizes, id, prefix string) (map[string]float64, error) {
	out := map[string]float64{}
	for _, sessions := range []int{1, 16} {
		sc := in.countSyscalls()
		u0 := in.usage()
		d, err := bulkTransfer(ctx, in, id, sz.BulkBytes, sessions, sz.Timeout)
		u1 := in.usage()
		calls, serr := sc.stop()
		if err != nil {
			return out, fmt.Errorf("%d sessions: %w", sessions, err)
		}
		sent := float64(sz.BulkBytes / int64(sessions) * int64(sessions))
		key := fmt.Sprintf("%s%d", prefix, sessions)
		out[key+"-mbps"] = sent / 1e6 / d.Seconds()
		if !in.isDirect() {
			out[key+"-cpu"] = (u1.CPUSeconds - u0.CPUSeconds) / (sent / (1 << 30))
			if serr == nil {
				out[key+"-sys"] = calls / (sent / (1 << 20))
			}
		}
	}
	return out, nil
}

func latency(ctx context.Context, w *world, in *instance, sz sizes) (map[string]float64, error) {
	ds, err := echoLatencies(ctx, in, routeEchoTLS, 64, sz.LatencyCount/10, sz.LatencyCount, sz.Timeout)
	if err != nil {
		return nil, err
	}
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	return map[string]float64{"lat-p50": us(percentile(ds, 50)), "lat-p99": us(percentile(ds, 99))}, nil
}

func idleMemory(ctx context.Context, w *world, in *instance, sz sizes) (map[string]float64, error) {
	// A few sessions first, so one-time allocations (worker start-up,
	// first TLS context use) don't count as per-session growth.
	warm, err := openIdle(ctx, in, routeEchoTLS, 16, 4, sz.Timeout)
	closeAll(warm)
	if err != nil {
		return nil, fmt.Errorf("warm-up: %w", err)
	}
	settle(ctx, 300*time.Millisecond)
	before := in.usage()
	conns, err := openIdle(ctx, in, routeEchoTLS, sz.IdleSessions, 32, sz.Timeout)
	defer closeAll(conns)
	if err != nil {
		return nil, err
	}
	settle(ctx, time.Second)
	after := in.usage()
	kb := float64(after.RSSBytes-before.RSSBytes) / 1024 / float64(len(conns))
	return map[string]float64{"idle-kb": math.Max(kb, 0)}, nil
}

func closeAll[C interface{ Close() error }](cs []C) {
	for _, c := range cs {
		c.Close()
	}
}

func settle(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// udpIncapable are the targets that cannot proxy UDP: HAProxy 2.6 has no
// UDP proxying. They get no UDP routes and skip the UDP scenario.
func udpIncapable() []string { return []string{nameHAProxy} }
