package metrics

import (
	"cmp"
	"runtime"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Attempt results, the values of the "result" label.
const (
	ResultOK             = "ok"
	ResultConnectError   = "connect_error"
	ResultConnectTimeout = "connect_timeout"
	ResultHandshakeError = "handshake_error"
	ResultVerifyError    = "verify_error"
	ResultPinMismatch    = "pin_mismatch"
)

// collector turns one Snapshot per scrape into metrics; it keeps no
// counters of its own, so the session path never calls it.
type collector struct {
	source  func() Snapshot
	reloads *ReloadLog
	version string

	active, accepted, handled, sessions     *prometheus.Desc
	attempts, handshakes, peerUp, peerConns *prometheus.Desc
	selections, peerHealthy, peerInfo       *prometheus.Desc
	bytes, reloadsTotal, lastReload, build  *prometheus.Desc
	tls                                     tlsDescs
	clientTLS                               clientTLSDescs
}

func newCollector(source func() Snapshot, reloads *ReloadLog, version string) *collector {
	peer := []string{"upstream", "peer"}
	return &collector{
		source: source, reloads: reloads, version: version,
		active: prometheus.NewDesc("strait_sessions_active",
			"Sessions running now.", nil, nil),
		accepted: prometheus.NewDesc("strait_connections_accepted_total",
			"Client connections accepted.", nil, nil),
		handled: prometheus.NewDesc("strait_connections_handled_total",
			"Accepted connections that became sessions.", nil, nil),
		sessions: prometheus.NewDesc("strait_sessions_total",
			"Finished sessions by $status.", []string{"status"}, nil),
		attempts: prometheus.NewDesc("strait_upstream_attempts_total",
			"Attempts to reach an upstream peer (connect and TLS handshake) by result.",
			append(peer, "result"), nil),
		handshakes: prometheus.NewDesc("strait_upstream_tls_handshakes_total",
			"Completed TLS handshakes with an upstream peer.", append(peer, "resumed"), nil),
		peerUp: prometheus.NewDesc("strait_upstream_peer_up",
			"1 when the balancer may pick the peer (not down, not taken out by max_fails).", peer, nil),
		peerConns: prometheus.NewDesc("strait_upstream_peer_active_connections",
			"Sessions connected or connecting to the peer now.", peer, nil),
		selections: prometheus.NewDesc("strait_upstream_peer_selections_total",
			"Attempts the balancer gave the peer.", peer, nil),
		peerInfo: prometheus.NewDesc("strait_upstream_peer_info",
			"Always 1; origin is \"config\" or the DNS name whose answer gave the peer, server the server name.",
			append(peer, "server", "origin"), nil),
		peerHealthy: prometheus.NewDesc("strait_upstream_peer_healthy",
			"1 unless active health checks hold the peer out (unhealthy, or mandatory and not passed yet).", peer, nil),
		bytes: prometheus.NewDesc("strait_bytes_total",
			"Bytes carried by finished sessions.", []string{"direction"}, nil),
		reloadsTotal: prometheus.NewDesc("strait_config_reloads_total",
			"Configuration reloads by result.", []string{"result"}, nil),
		lastReload: prometheus.NewDesc("strait_config_last_reload_success_timestamp_seconds",
			"When the running configuration was loaded (start or last successful reload).", nil, nil),
		build: prometheus.NewDesc("strait_build_info",
			"Always 1; the labels describe the binary.", []string{"version", "goversion"}, nil),
		tls:       newTLSDescs(),
		clientTLS: newClientTLSDescs(),
	}
}

// Describe implements prometheus.Collector.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.active, c.accepted, c.handled, c.sessions, c.attempts, c.handshakes,
		c.peerUp, c.peerConns, c.selections, c.peerHealthy, c.peerInfo, c.bytes, c.reloadsTotal, c.lastReload, c.build,
	} {
		ch <- d
	}
	for _, d := range append(c.tls.all(), c.clientTLS.all()...) {
		ch <- d
	}
}

// Collect implements prometheus.Collector: it reads one snapshot.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	s := c.source()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge(c.active, float64(s.Active))
	counter(c.accepted, s.Accepted)
	counter(c.handled, s.Handled)
	for status, n := range s.Statuses {
		counter(c.sessions, n, strconv.Itoa(status))
	}
	counter(c.bytes, s.Bytes.FromClient, "from_client")
	counter(c.bytes, s.Bytes.ToClient, "to_client")
	counter(c.bytes, s.Bytes.FromUpstream, "from_upstream")
	counter(c.bytes, s.Bytes.ToUpstream, "to_upstream")

	for _, u := range mergeUpstreams(s.Upstreams) {
		for _, p := range u.Peers {
			a := p.Attempts
			for _, r := range []struct {
				result string
				n      uint64
			}{
				{ResultOK, a.OK}, {ResultConnectError, a.ConnectError}, {ResultConnectTimeout, a.ConnectTimeout},
				{ResultHandshakeError, a.HandshakeError}, {ResultVerifyError, a.VerifyError},
				{ResultPinMismatch, a.PinMismatch},
			} {
				counter(c.attempts, r.n, u.Name, p.Addr, r.result)
			}
			if u.TLS || p.Handshakes != (Handshakes{}) {
				counter(c.handshakes, p.Handshakes.New, u.Name, p.Addr, "false")
				counter(c.handshakes, p.Handshakes.Resumed, u.Name, p.Addr, "true")
			}
			up := 0.0
			if p.Up {
				up = 1
			}
			gauge(c.peerUp, up, u.Name, p.Addr)
			gauge(c.peerConns, float64(p.Conns), u.Name, p.Addr)
			counter(c.selections, p.Selections, u.Name, p.Addr)
			healthy := 1.0
			if p.Health == "unhealthy" || p.Health == "checking" {
				healthy = 0
			}
			gauge(c.peerHealthy, healthy, u.Name, p.Addr)
			gauge(c.peerInfo, 1, u.Name, p.Addr, p.Name, cmp.Or(p.Origin, "config"))
			if !p.CertificateNotAfter.IsZero() {
				gauge(c.tls.peerNotAfter, unixSeconds(p.CertificateNotAfter), u.Name, p.Addr)
			}
		}
	}
	c.tls.collect(ch, s.TLS)
	c.clientTLS.collect(ch, s.ClientTLS)

	r := c.reloads.Read()
	counter(c.reloadsTotal, r.Successes, "success")
	counter(c.reloadsTotal, r.Failures, "failure")
	gauge(c.lastReload, float64(r.LastSuccess.UnixNano())/1e9)
	gauge(c.build, 1, c.version, runtime.Version())
}

// mergeUpstreams folds groups of the same name and peers of the same
// address into one, so that no series is exported twice (a scrape with
// duplicate label sets fails as a whole). nginx allows the same address
// twice in a group; its counters are already shared, being keyed by
// address.
func mergeUpstreams(in []Upstream) []Upstream {
	var out []Upstream
	index := map[string]int{}
	for _, u := range in {
		i, ok := index[u.Name]
		if !ok {
			i = len(out)
			index[u.Name] = i
			out = append(out, Upstream{Name: u.Name})
		}
		m := &out[i]
		m.TLS = m.TLS || u.TLS
		for _, p := range u.Peers {
			j := peerIndex(m.Peers, p.Addr)
			if j < 0 {
				m.Peers = append(m.Peers, p)
				continue
			}
			q := &m.Peers[j]
			q.Up = q.Up || p.Up
			q.Conns += p.Conns
			q.Selections += p.Selections
			if p.CertificateNotAfter.After(q.CertificateNotAfter) {
				q.CertificateNotAfter = p.CertificateNotAfter
			}
		}
	}
	return out
}

func peerIndex(peers []Peer, addr string) int {
	for i, p := range peers {
		if p.Addr == addr {
			return i
		}
	}
	return -1
}
