package metrics

import (
	"sort"

	"github.com/prometheus/client_golang/prometheus"
)

// ClientTLS counts TLS handshakes with clients on listen ... ssl.
type ClientTLS struct {
	New, Resumed uint64
	// Failures counts failed handshakes by reason (tlsconf's Reason*
	// values: timeout, closed, protocol, cipher, alert, verify, ...).
	Failures map[string]uint64
}

type clientTLSDescs struct {
	handshakes, failures *prometheus.Desc
}

func newClientTLSDescs() clientTLSDescs {
	return clientTLSDescs{
		handshakes: prometheus.NewDesc("strait_client_tls_handshakes_total",
			"Completed TLS handshakes with clients (listen ... ssl).", []string{"resumed"}, nil),
		failures: prometheus.NewDesc("strait_client_tls_handshake_failures_total",
			"Failed TLS handshakes with clients, client certificate refusals included, by reason.", []string{"reason"}, nil),
	}
}

func (d clientTLSDescs) all() []*prometheus.Desc { return []*prometheus.Desc{d.handshakes, d.failures} }

func (d clientTLSDescs) collect(ch chan<- prometheus.Metric, c ClientTLS) {
	counter := func(desc *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, float64(v), labels...)
	}
	counter(d.handshakes, c.New, "false")
	counter(d.handshakes, c.Resumed, "true")
	reasons := make([]string, 0, len(c.Failures))
	for r := range c.Failures {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		counter(d.failures, c.Failures[r], r)
	}
}
