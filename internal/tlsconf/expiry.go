package tlsconf

import (
	"fmt"
	"sync"
	"time"
)

// ExpiryWindow is how long before a certificate expires strait starts
// warning about it: long enough for a monthly renewal job to have run
// and failed without anyone noticing.
const ExpiryWindow = 30 * 24 * time.Hour

// expiryRepeat is how often the error log repeats a warning.
const expiryRepeat = 24 * time.Hour

// expiryNotice is one certificate or CRL to warn about; key stays the
// same from day to day while msg counts the days down.
type expiryNotice struct {
	key, msg string
}

// expiryNotices lists the certificates that expire within ExpiryWindow of
// now or have expired, and the CRLs past their nextUpdate (which fail
// every handshake they are needed for: "CRL has expired"). A CRL due
// within the window is normal (they are reissued every few days), so it
// is not listed.
func expiryNotices(certs []CertificateFact, crls []CRLFact, now time.Time) []expiryNotice {
	var out []expiryNotice
	for _, c := range certs {
		left := c.NotAfter.Sub(now)
		if left > ExpiryWindow {
			continue
		}
		what := fmt.Sprintf("certificate %q from %q", c.Subject, c.File)
		out = append(out, expiryNotice{key: c.File + "\x00" + c.Role + "\x00" + c.Serial,
			msg: what + " " + expiresIn(left)})
	}
	for _, c := range crls {
		if c.NextUpdate.IsZero() || !now.After(c.NextUpdate) {
			continue
		}
		out = append(out, expiryNotice{key: c.File + "\x00crl\x00" + c.Issuer,
			msg: fmt.Sprintf("CRL of %q from %q %s", c.Issuer, c.File, expiresIn(c.NextUpdate.Sub(now)))})
	}
	return out
}

// expiresIn words a time left in whole days, rounded down.
func expiresIn(left time.Duration) string {
	days := int(left / (24 * time.Hour))
	switch {
	case left <= 0 && days == 0:
		return "has expired today"
	case left <= 0:
		return fmt.Sprintf("expired %d %s ago", -days, plural(-days, "day"))
	case days == 0:
		return "expires in less than a day"
	default:
		return fmt.Sprintf("expires in %d %s", days, plural(days, "day"))
	}
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// ExpiryWarnings lists, for strait -t, the certificates of c that expire
// within ExpiryWindow of now or have expired, and its CRLs past their
// nextUpdate.
func (c *Client) ExpiryWarnings(now time.Time) []string {
	certs, crls := c.Certificates()
	var out []string
	for _, n := range expiryNotices(certs, crls, now) {
		out = append(out, n.msg)
	}
	return out
}

// ExpiryLog remembers when each expiry warning was last logged, so that
// the error log repeats it once a day however often it is checked. One
// ExpiryLog serves the watchers of successive configurations, so a reload
// does not repeat a warning either. Safe for concurrent use.
type ExpiryLog struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// NewExpiryLog returns an empty log.
func NewExpiryLog() *ExpiryLog { return &ExpiryLog{last: map[string]time.Time{}} }

// due reports whether key's warning should be logged at now, and if so
// records it as logged.
func (l *ExpiryLog) due(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t, ok := l.last[key]; ok && now.Sub(t) < expiryRepeat {
		return false
	}
	// Entries a day old would be due anyway; dropping them keeps
	// replaced certificates from piling up over the process's life.
	for k, t := range l.last {
		if now.Sub(t) >= expiryRepeat {
			delete(l.last, k)
		}
	}
	l.last[key] = now
	return true
}

// ExpiryWarnings lists, for strait -t, the certificates of a listen ...
// ssl profile (served certificates, client CAs) that expire within
// ExpiryWindow of now or have expired, and its CRLs past nextUpdate.
func (srv *Server) ExpiryWarnings(now time.Time) []string {
	certs, crls := srv.Certificates()
	var out []string
	for _, n := range expiryNotices(certs, crls, now) {
		out = append(out, n.msg)
	}
	return out
}
