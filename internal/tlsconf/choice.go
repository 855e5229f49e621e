package tlsconf

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
)

// Choice is what one attempt evaluated of the proxy_ssl_* settings
// written with variables (proxy_ssl_name, proxy_ssl_certificate and
// its key). The zero value chooses nothing: the Client's constant
// settings apply.
type Choice struct {
	// Name replaces proxy_ssl_name when NameSet. An empty value is
	// nginx's: no SNI, and a certificate never matches it.
	Name    string
	NameSet bool
	// Certificate and Key are the evaluated paths (or "data:" values)
	// when CertificateSet; an empty Certificate presents none.
	Certificate, Key string
	CertificateSet   bool
}

// sslName is ngx_stream_proxy_ssl_name's reading of a name: a port is
// stripped "for compatibility with the http module", after the closing
// bracket of an IPv6 literal.
func sslName(v string) string {
	rest := v
	if strings.HasPrefix(v, "[") {
		if i := strings.IndexByte(v, ']'); i >= 0 {
			rest = v[i:]
		}
	}
	if i := strings.IndexByte(rest, ':'); i >= 0 {
		return v[:len(v)-len(rest)+i]
	}
	return v
}

// HandshakeFor is Handshake with the attempt's Choice applied. Sessions
// are cached per peer and, within the peer's cache, per name and
// certificate, so a session made for one name or client identity is
// never resumed for another.
func (c *Client) HandshakeFor(ctx context.Context, conn net.Conn, peerAddr string, ch Choice) (*tls.Conn, Info, error) {
	if !ch.NameSet && !ch.CertificateSet {
		return c.Handshake(ctx, conn, peerAddr)
	}
	m := c.cur.Load()
	cfg := m.configFor(peerAddr, c.sessionSlots()).Clone()
	name := c.name
	if ch.NameSet {
		name = sslName(ch.Name)
		cfg.ServerName = ""
		if c.settings.ServerName && sniAllowed(name) {
			cfg.ServerName = name
		}
		if c.verify {
			cfg.VerifyConnection = func(cs tls.ConnectionState) error { return c.verifyName(&m.chain, name, cs) }
		}
	}
	key := "n=" + name
	if ch.CertificateSet {
		cert := &tls.Certificate{} // an empty value presents no certificate
		if ch.Certificate != "" {
			var err error
			if cert, err = c.pairs.get(c.fullPath(ch.Certificate), c.fullPath(ch.Key), c.settings.PasswordFile); err != nil {
				return nil, Info{ServerName: cfg.ServerName}, &setupError{err: err}
			}
		}
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
		key += "\x00c=" + ch.Certificate + "\x00k=" + ch.Key
	}
	if cfg.ClientSessionCache != nil {
		cfg.ClientSessionCache = keyedCache{inner: cfg.ClientSessionCache, prefix: key + "\x00"}
	}
	tc, info, err := c.handshake(ctx, conn, cfg)
	if info.ServerName == "" {
		info.ServerName = name
	}
	return tc, info, err
}

// fullPath resolves an evaluated relative path against the
// configuration's directory, as nginx resolves it against its conf
// prefix; "data:" values are kept.
func (c *Client) fullPath(p string) string {
	if p == "" || strings.HasPrefix(p, "data:") || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.settings.ConfDir, p)
}

// keyedCache narrows a peer's session cache to one name and client
// certificate: crypto/tls keys sessions by ServerName, or by the peer's
// address when no SNI is sent, which would let names share sessions.
type keyedCache struct {
	inner  tls.ClientSessionCache
	prefix string
}

func (k keyedCache) Get(key string) (*tls.ClientSessionState, bool) {
	return k.inner.Get(k.prefix + key)
}

func (k keyedCache) Put(key string, cs *tls.ClientSessionState) { k.inner.Put(k.prefix+key, cs) }

// setupError is a failure to set up an attempt's TLS on strait's side
// (a certificate that cannot be loaded): nginx finalizes the session
// with 500 and does not try the next peer, which would fare no better.
type setupError struct{ err error }

func (e *setupError) Error() string      { return e.err.Error() }
func (e *setupError) Unwrap() error      { return e.err }
func (e *setupError) LocalFailure() bool { return true }
func (e *setupError) Level() slog.Level  { return slog.LevelError }
