package server

import (
	"crypto/x509"
	"slices"
	"sync"
	"time"

	"github.com/straitproxy/strait/internal/metrics"
	"github.com/straitproxy/strait/internal/tlsconf"
)

// watch starts the watcher of snap's TLS files, proxy_ssl_* and those of
// listen ... ssl, which reloads them when they change and warns about
// certificates near expiry. It runs
// while snap is the running configuration: Reload stops the old
// snapshot's watcher once the new one runs, and closeResources stops any
// left.
func (s *Server) watch(snap *snapshot) {
	var clients []*tlsconf.Client
	var servers []*tlsconf.Server
	for _, b := range snap.blocks {
		if b.tls != nil {
			clients = append(clients, b.tls)
		}
		if b.clientTLS != nil {
			servers = append(servers, b.clientTLS)
		}
	}
	if len(clients) == 0 && len(servers) == 0 {
		return
	}
	w := tlsconf.NewWatcher(clients, servers, tlsconf.WatchOptions{
		Interval: s.opts.TLSPollInterval,
		Ticks:    s.opts.TLSPollTicks,
		Now:      s.opts.Now,
		Logger:   snap.log,
		OnReload: s.stats.tls.reloaded(s.now),
		Expiry:   s.expiry,
	})
	stop := w.Start()
	snap.mu.Lock()
	snap.stopWatch = stop
	snap.mu.Unlock()
}

// unwatch stops the snapshot's watcher, health checks and DNS, if any, and
// waits for them.
func (s *snapshot) unwatch() {
	s.mu.Lock()
	stop, stopChecks, stopDNS := s.stopWatch, s.stopChecks, s.stopDNS
	s.stopWatch, s.stopChecks, s.stopDNS = nil, nil, nil
	s.mu.Unlock()
	if stopDNS != nil {
		stopDNS()
	}
	if stop != nil {
		stop()
	}
	if stopChecks != nil {
		stopChecks()
	}
}

// tlsStats counts rotations of TLS files and remembers the expiry
// of the certificate each peer presented last. Like the other counters
// they survive reloads.
type tlsStats struct {
	mu       sync.Mutex
	reloads  metrics.TLSReloads
	notAfter map[peerKey]time.Time
}

// reloaded returns the watcher's OnReload hook.
func (t *tlsStats) reloaded(now func() time.Time) func(tlsconf.Side, []string, error) {
	return func(side tlsconf.Side, files []string, err error) {
		t.mu.Lock()
		defer t.mu.Unlock()
		last := metrics.TLSReload{At: now(), Side: string(side), Files: slices.Clone(files)}
		ok, failed := &t.reloads.OK, &t.reloads.Error
		if side == tlsconf.SideClient {
			ok, failed = &t.reloads.ClientOK, &t.reloads.ClientError
		}
		if err != nil {
			*failed++
			last.Err = err.Error()
		} else {
			*ok++
		}
		t.reloads.Last = last
	}
}

// peerCertificate returns the handshake hook recording the expiry of a
// peer's certificate in group.
func (t *tlsStats) peerCertificate(group string) func(string, *x509.Certificate) {
	return func(peer string, leaf *x509.Certificate) {
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.notAfter == nil {
			t.notAfter = map[peerKey]time.Time{}
		}
		t.notAfter[peerKey{group, peer}] = leaf.NotAfter
	}
}

// fill completes out with the TLS state: the counters, the certificates
// and CRLs of snap's proxy_ssl and listen ... ssl profiles (each once,
// though several blocks may read one file) and each peer's certificate
// expiry.
func (t *tlsStats) fill(out *metrics.Snapshot, snap *snapshot) {
	seenCert := map[tlsconf.CertificateFact]bool{}
	seenCRL := map[tlsconf.CRLFact]bool{}
	add := func(certs []tlsconf.CertificateFact, crls []tlsconf.CRLFact) {
		for _, c := range certs {
			if !seenCert[c] {
				seenCert[c] = true
				out.TLS.Certificates = append(out.TLS.Certificates, metrics.Certificate{
					File: c.File, Role: c.Role, Subject: c.Subject, Serial: c.Serial, NotAfter: c.NotAfter})
			}
		}
		for _, c := range crls {
			if !seenCRL[c] {
				seenCRL[c] = true
				out.TLS.CRLs = append(out.TLS.CRLs, metrics.CRL{File: c.File, Issuer: c.Issuer, NextUpdate: c.NextUpdate})
			}
		}
	}
	for _, b := range snap.blocks {
		if b.tls != nil {
			add(b.tls.Certificates())
		}
		if b.clientTLS != nil {
			add(b.clientTLS.Certificates())
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	out.TLS.Reloads = t.reloads
	out.TLS.Reloads.Last.Files = slices.Clone(t.reloads.Last.Files)
	for i := range out.Upstreams {
		u := &out.Upstreams[i]
		for j := range u.Peers {
			u.Peers[j].CertificateNotAfter = t.notAfter[peerKey{u.Name, u.Peers[j].Addr}]
		}
	}
}
