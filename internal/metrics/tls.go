package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TLS is the state of the TLS files of the running configuration: the
// proxy_ssl_* files and those of listen ... ssl.
type TLS struct {
	Reloads      TLSReloads
	Certificates []Certificate // every certificate in use, once each
	CRLs         []CRL         // every CRL in use, once each
}

// TLSReloads counts the reloads of TLS files after they changed on disk
// (not configuration reloads), since the process started.
type TLSReloads struct {
	OK, Error             uint64    // proxy_ssl_* files (side "upstream")
	ClientOK, ClientError uint64    // ssl_* files of listen ... ssl (side "client")
	Last                  TLSReload // zero At when there was none
}

// TLSReload is one reload of a changed set of files.
type TLSReload struct {
	At    time.Time
	Side  string   // "upstream" or "client"
	Files []string // the set reloaded
	Err   string   // "" on success
}

// Certificate is one certificate strait loaded from a file.
type Certificate struct {
	File     string
	Role     string // "client", "client_chain", "ca", "server", "server_chain" or "client_ca"
	Subject  string
	Serial   string
	NotAfter time.Time
}

// CRL is one CRL of a proxy_ssl_crl file.
type CRL struct {
	File       string
	Issuer     string
	NextUpdate time.Time // zero when the CRL has none
}

// tlsDescs are the TLS series; kept apart from collector's so that each
// file stays readable.
type tlsDescs struct {
	reloads, notAfter, nextUpdate, peerNotAfter *prometheus.Desc
}

func newTLSDescs() tlsDescs {
	return tlsDescs{
		reloads: prometheus.NewDesc("strait_tls_reloads_total",
			"Reloads of TLS files after they changed on disk, by result and side (upstream: proxy_ssl_*, client: listen ... ssl).",
			[]string{"result", "side"}, nil),
		notAfter: prometheus.NewDesc("strait_tls_certificate_not_after_seconds",
			"When a certificate in use expires (notAfter, Unix seconds).", []string{"file", "role", "subject", "serial"}, nil),
		nextUpdate: prometheus.NewDesc("strait_tls_crl_next_update_seconds",
			"When a CRL in use is due for update (nextUpdate, Unix seconds); after it, handshakes needing it fail.",
			[]string{"file", "issuer"}, nil),
		peerNotAfter: prometheus.NewDesc("strait_upstream_peer_certificate_not_after_seconds",
			"When the certificate the peer presented in its last handshake expires (Unix seconds).",
			[]string{"upstream", "peer"}, nil),
	}
}

func (d tlsDescs) all() []*prometheus.Desc {
	return []*prometheus.Desc{d.reloads, d.notAfter, d.nextUpdate, d.peerNotAfter}
}

// collect sends the TLS series of s, skipping repeated label sets (a
// scrape with a duplicate series fails as a whole).
func (d tlsDescs) collect(ch chan<- prometheus.Metric, s TLS) {
	r := s.Reloads
	ch <- prometheus.MustNewConstMetric(d.reloads, prometheus.CounterValue, float64(r.OK), "ok", "upstream")
	ch <- prometheus.MustNewConstMetric(d.reloads, prometheus.CounterValue, float64(r.Error), "error", "upstream")
	ch <- prometheus.MustNewConstMetric(d.reloads, prometheus.CounterValue, float64(r.ClientOK), "ok", "client")
	ch <- prometheus.MustNewConstMetric(d.reloads, prometheus.CounterValue, float64(r.ClientError), "error", "client")
	seen := map[[4]string]bool{}
	for _, c := range s.Certificates {
		k := [4]string{c.File, c.Role, c.Subject, c.Serial}
		if seen[k] {
			continue
		}
		seen[k] = true
		ch <- prometheus.MustNewConstMetric(d.notAfter, prometheus.GaugeValue, unixSeconds(c.NotAfter), k[:]...)
	}
	// Two CRLs of one issuer in a file (an old one left beside the new):
	// the latest is the one that matters.
	latest := map[[2]string]time.Time{}
	var order [][2]string
	for _, c := range s.CRLs {
		if c.NextUpdate.IsZero() {
			continue
		}
		k := [2]string{c.File, c.Issuer}
		t, ok := latest[k]
		if !ok {
			order = append(order, k)
		}
		if !ok || c.NextUpdate.After(t) {
			latest[k] = c.NextUpdate
		}
	}
	for _, k := range order {
		ch <- prometheus.MustNewConstMetric(d.nextUpdate, prometheus.GaugeValue, unixSeconds(latest[k]), k[:]...)
	}
}

func unixSeconds(t time.Time) float64 { return float64(t.Unix()) }

// tlsDoc is the "tls" object of GET /status.
type tlsDoc struct {
	Reloads       tlsReloadCounts  `json:"reloads"`        // proxy_ssl_* files
	ClientReloads tlsReloadCounts  `json:"client_reloads"` // listen ... ssl files
	LastReload    *tlsReloadDoc    `json:"last_reload"`    // null until the first
	Certificates  []certificateDoc `json:"certificates"`
	CRLs          []crlDoc         `json:"crls"`
}

type tlsReloadCounts struct {
	OK    uint64 `json:"ok"`
	Error uint64 `json:"error"`
}

type tlsReloadDoc struct {
	Time   time.Time `json:"time"`
	Result string    `json:"result"` // "ok" or "error"
	Side   string    `json:"side"`   // "upstream" or "client"
	Files  []string  `json:"files"`
	Error  string    `json:"error,omitempty"`
}

type certificateDoc struct {
	File     string    `json:"file"`
	Role     string    `json:"role"`
	Subject  string    `json:"subject"`
	Serial   string    `json:"serial"`
	NotAfter time.Time `json:"not_after"`
}

type crlDoc struct {
	File       string     `json:"file"`
	Issuer     string     `json:"issuer"`
	NextUpdate *time.Time `json:"next_update"` // null when the CRL has none
}

func newTLSDoc(s TLS) tlsDoc {
	d := tlsDoc{
		Reloads:       tlsReloadCounts{OK: s.Reloads.OK, Error: s.Reloads.Error},
		ClientReloads: tlsReloadCounts{OK: s.Reloads.ClientOK, Error: s.Reloads.ClientError},
		Certificates:  make([]certificateDoc, 0, len(s.Certificates)),
		CRLs:          make([]crlDoc, 0, len(s.CRLs)),
	}
	if l := s.Reloads.Last; !l.At.IsZero() {
		d.LastReload = &tlsReloadDoc{Time: l.At, Result: "ok", Side: l.Side, Files: l.Files, Error: l.Err}
		if l.Err != "" {
			d.LastReload.Result = "error"
		}
	}
	for _, c := range s.Certificates {
		d.Certificates = append(d.Certificates, certificateDoc{File: c.File, Role: c.Role, Subject: c.Subject,
			Serial: c.Serial, NotAfter: c.NotAfter})
	}
	for _, c := range s.CRLs {
		cd := crlDoc{File: c.File, Issuer: c.Issuer}
		if !c.NextUpdate.IsZero() {
			t := c.NextUpdate
			cd.NextUpdate = &t
		}
		d.CRLs = append(d.CRLs, cd)
	}
	return d
}
