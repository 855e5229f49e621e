package tlsconf

import (
	"crypto/tls"
	"sync"
	"time"

	"github.com/straitproxy/strait/internal/config"
)

// pairCache holds the certificate and key pairs that
// proxy_ssl_certificate with variables named, after nginx's
// ngx_ssl_cache as proxy_ssl_certificate_cache sets it up: at most max
// pairs, each dropped once unused for inactive and loaded again once
// older than valid. A nil cache (proxy_ssl_certificate_cache off, the
// default) loads the pair for every attempt, as nginx does.
type pairCache struct {
	max             int
	inactive, valid time.Duration
	now             func() time.Time

	mu      sync.Mutex
	entries map[string]*pairEntry // by certificate path, NUL, key path
}

type pairEntry struct {
	cert         *tls.Certificate
	loaded, used time.Time
}

func newPairCache(cc config.CertificateCache, now func() time.Time) *pairCache {
	if cc.Max <= 0 {
		return nil
	}
	return &pairCache{max: cc.Max, inactive: cc.Inactive, valid: cc.Valid, now: now, entries: map[string]*pairEntry{}}
}

// get returns the pair of certPath and keyPath, loading it when it is
// not cached or no longer valid. Failures are not cached: the next
// attempt tries again, as nginx's cache does.
func (p *pairCache) get(certPath, keyPath, passwordPath string) (*tls.Certificate, error) {
	if p == nil {
		return loadKeyPair(certPath, keyPath, passwordPath)
	}
	k := certPath + "\x00" + keyPath
	now := p.now()
	p.mu.Lock()
	if e, ok := p.entries[k]; ok && now.Sub(e.loaded) < p.valid {
		e.used = now
		p.mu.Unlock()
		return e.cert, nil
	}
	p.mu.Unlock()
	cert, err := loadKeyPair(certPath, keyPath, passwordPath)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.expire(now)
	if _, ok := p.entries[k]; !ok && len(p.entries) >= p.max {
		p.evictOldest()
	}
	p.entries[k] = &pairEntry{cert: cert, loaded: now, used: now}
	return cert, nil
}

// expire drops the pairs unused for longer than inactive.
func (p *pairCache) expire(now time.Time) {
	for k, e := range p.entries {
		if now.Sub(e.used) >= p.inactive {
			delete(p.entries, k)
		}
	}
}

// evictOldest drops the least recently used pair, making room at max.
func (p *pairCache) evictOldest() {
	var oldest string
	var at time.Time
	for k, e := range p.entries {
		if oldest == "" || e.used.Before(at) {
			oldest, at = k, e.used
		}
	}
	delete(p.entries, oldest)
}

// len is the number of cached pairs, for tests.
func (p *pairCache) len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.entries)
}
