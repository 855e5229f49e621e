// Package tlsconf is the single home of strait's outgoing TLS policy (proxy
// to upstream): it compiles a server block's proxy_ssl_* settings into a
// Client that loads the certificate and key (encrypted keys and password
// files included), the trust anchors and CRLs, maps protocols, OpenSSL
// cipher strings and conf commands onto crypto/tls, verifies upstream
// certificates the way OpenSSL does for nginx (anchors, depth, CRLs, error
// codes, X509_check_host), and keeps TLS sessions per peer and per profile.
package tlsconf

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/tlsconf/cipherlist"
)

// sessionsPerPeer bounds each peer's session cache. One entry per peer is
// used (the cache key never varies within a profile); the slack is for
// safety. sessionsPerPeerChosen is the bound when proxy_ssl_name or
// proxy_ssl_certificate have variables: one entry per name and
// certificate a peer sees, the least recently used dropped first.
const (
	sessionsPerPeer       = 4
	sessionsPerPeerChosen = 32
)

// Client is a compiled TLS profile of one server block: settings mapped
// onto crypto/tls once, and the material read from files (certificate and
// key, trust store, CRLs, per-peer session caches), which Reload may
// replace while the Client serves. Safe for concurrent use; built once
// per configuration load.
type Client struct {
	settings config.ProxySSL
	files    []string    // what a rotation may replace (filesOf)
	proto    *tls.Config // settings only; each material clones it
	name     string      // checked against the certificate (proxy_ssl_name)
	verify   bool
	reuse    bool
	sessions int        // per peer cache size
	pins     [][32]byte // proxy_ssl_pin_sha256; empty: no pinning
	now      func() time.Time
	// pairs caches the pairs proxy_ssl_certificate with variables
	// names (proxy_ssl_certificate_cache); nil loads them per attempt.
	pairs *pairCache
	// cur is the material in use. A handshake reads it once, at its
	// start, and keeps what it read: a rotation never changes a
	// handshake or session in flight.
	cur      atomic.Pointer[material]
	reloadMu sync.Mutex // one Reload at a time
}

// Info describes an established upstream TLS session, for logs and
// $upstream_ssl_* variables.
type Info struct {
	Protocol   string // "TLSv1.3"
	Cipher     string // OpenSSL name; TLS 1.3: "TLS_AES_128_GCM_SHA256"
	Reused     bool   // the session was resumed
	Verify     string // "OK", "NONE" when verification is off, or the failure reason
	ServerName string // SNI sent, "" if none
	// PeerLeaf is the certificate the peer presented (for a resumed
	// session, the one it presented when the session was made), for
	// expiry metrics; nil on failure.
	PeerLeaf *x509.Certificate
}

// NewClient compiles s. defaultName is the host part of proxy_pass, used
// for verification (and SNI) when proxy_ssl_name is unset.
//
// Its errors end with " in FILE:LINE" of the directive they are about.
func NewClient(s config.ProxySSL, defaultName string) (*Client, error) {
	c, err := compileClient(s, defaultName)
	return c, positioned(err, &s)
}

func compileClient(s config.ProxySSL, defaultName string) (*Client, error) {
	if len(s.Pins) > 0 && !s.Verify {
		return nil, about(errPinsWithoutVerify, pinPos)
	}
	c := &Client{settings: s, name: s.Name, verify: s.Verify, reuse: s.SessionReuse, now: time.Now, pins: s.Pins}
	if c.name == "" || s.NameHasVariables() {
		// With variables the name is each attempt's (HandshakeFor);
		// this one serves callers without a Choice (health checks).
		c.name = defaultName
	}
	c.name = sslName(c.name)
	c.sessions = sessionsPerPeer
	if s.NameHasVariables() || s.CertificateVar != "" {
		c.sessions = sessionsPerPeerChosen
	}
	c.pairs = newPairCache(s.CertificateCache, func() time.Time { return c.now() })
	cfg := &tls.Config{
		// Verification is strait's own (VerifyConnection), because Go's
		// differs from OpenSSL's: any pool certificate is an anchor, there
		// is no depth, no CRL and no CN fallback.
		InsecureSkipVerify: true,
		NextProtos:         s.ALPN,
		// Go's client resumes TLS 1.2 only by ticket; without reuse
		// there is no point asking the server for one.
		SessionTicketsDisabled: !s.SessionReuse,
	}
	if s.ServerName && sniAllowed(c.name) {
		cfg.ServerName = c.name
	}
	var err error
	if cfg.MinVersion, cfg.MaxVersion, _, err = versionRange(s.Protocols); err != nil {
		return nil, err
	}
	if s.Ciphers != "" {
		if cfg.CipherSuites, err = cipherlist.Evaluate(s.Ciphers); err != nil {
			return nil, about(fmt.Errorf("invalid proxy_ssl_ciphers %q: %w", s.Ciphers, err), ciphersPos)
		}
	}
	if err = applyConfCommands(cfg, s.ConfCommands); err != nil {
		return nil, err
	}
	level := securityLevel(s.Ciphers)
	if err = restrictGroups(cfg, level); err != nil {
		return nil, about(fmt.Errorf("invalid proxy_ssl_ciphers %q: %w", s.Ciphers, err), ciphersPos)
	}
	c.proto = cfg
	c.files = filesOf(s)
	m, err := c.load()
	if err != nil {
		return nil, err
	}
	c.install(m)
	return c, nil
}

// install completes m's tls.Config from the Client's settings and puts m
// in use.
func (c *Client) install(m *material) {
	cfg := c.proto.Clone()
	if m.cert != nil {
		cert := m.cert
		// OpenSSL sends its certificate whenever the upstream asks,
		// whatever CA names the request lists; Go's default would send
		// nothing when they do not match.
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
	}
	if c.verify {
		cfg.VerifyConnection = func(cs tls.ConnectionState) error { return c.verifyConnection(&m.chain, cs) }
	}
	m.base = cfg
	c.cur.Store(m)
}

// securityLevel is the OpenSSL security level of a profile: @SECLEVEL=n
// of proxy_ssl_ciphers, else DefaultSecurityLevel. OpenSSL applies it to
// the certificate chain (auth_level: key sizes and digests) and to the
// key exchange groups, not only to cipher suites.
func securityLevel(ciphers string) int {
	if ciphers != "" {
		if l, set, err := cipherlist.SecurityLevel(ciphers); err == nil && set {
			return l
		}
	}
	return DefaultSecurityLevel
}

// sniAllowed mirrors nginx: no SNI for an empty name or an IP literal.
func sniAllowed(name string) bool {
	if name == "" {
		return false
	}
	_, err := netip.ParseAddr(strings.Trim(name, "[]"))
	return err != nil
}

// verifyConnection runs on every handshake, resumed ones included, so a
// resumed session is held to the trust of the material it was made with,
// at the current time. Sessions never cross a rotation (see
// material.peers), so new trust never accepts a session it has not
// verified.
func (c *Client) verifyConnection(chain *chainVerifier, cs tls.ConnectionState) error {
	return c.verifyName(chain, c.name, cs)
}

// verifyName is verifyConnection against an attempt's own name.
func (c *Client) verifyName(chain *chainVerifier, name string, cs tls.ConnectionState) error {
	now := c.now()
	if code, depth := chain.verify(cs.PeerCertificates, now); code != codeOK {
		return verifyError(code, depth)
	}
	if !matchesName(cs.PeerCertificates[0], name) {
		return nameMismatch(name)
	}
	return c.checkPins(chain, cs.PeerCertificates, now)
}

// configFor returns the peer's tls.Config under material m, made once: a
// clone of the profile with a session cache of its own, so peers sharing
// a name never evict each other's sessions and two profiles never share
// one.
func (m *material) configFor(peerAddr string, sessions int) *tls.Config {
	if v, ok := m.peers.Load(peerAddr); ok {
		return v.(*tls.Config)
	}
	cfg := m.base.Clone()
	if sessions > 0 {
		cfg.ClientSessionCache = tls.NewLRUClientSessionCache(sessions)
	}
	v, _ := m.peers.LoadOrStore(peerAddr, cfg)
	return v.(*tls.Config)
}

// Handshake runs the TLS client handshake on conn (already connected to
// peerAddr) bounded by ctx, with verification. On failure the error is a
// *HandshakeError and conn should be closed by the caller.
//
// TLS 1.3 session tickets arrive after the handshake and crypto/tls
// processes them only inside Read, so a session is cached for resumption
// only once the caller has read from the returned conn (a proxy always
// does).
func (c *Client) Handshake(ctx context.Context, conn net.Conn, peerAddr string) (*tls.Conn, Info, error) {
	return c.handshake(ctx, conn, c.configFor(peerAddr))
}

// configFor is the peer's tls.Config under the material in use.
func (c *Client) configFor(peerAddr string) *tls.Config {
	return c.cur.Load().configFor(peerAddr, c.sessionSlots())
}

// handshake is Handshake with the peer's tls.Config given, so that Probe
// runs the very same steps on a config carrying its observation hooks.
func (c *Client) handshake(ctx context.Context, conn net.Conn, cfg *tls.Config) (*tls.Conn, Info, error) {
	tc := tls.Client(conn, cfg)
	info := Info{ServerName: cfg.ServerName, Verify: "NONE"}
	if c.verify {
		info.Verify = "OK"
	}
	if err := tc.HandshakeContext(ctx); err != nil {
		var he *HandshakeError
		if !errors.As(err, &he) {
			he = &HandshakeError{Err: err}
		}
		if he.Verify {
			info.Verify = he.Reason
		}
		return nil, info, he
	}
	cs := tc.ConnectionState()
	info.Protocol = protocolName(cs.Version)
	info.Cipher = cipherlist.Name(cs.CipherSuite)
	if info.Cipher == "" {
		info.Cipher = tls.CipherSuiteName(cs.CipherSuite)
	}
	info.Reused = cs.DidResume
	if len(cs.PeerCertificates) > 0 {
		info.PeerLeaf = cs.PeerCertificates[0]
	}
	return tc, info, nil
}

// sessionSlots is the size of a peer's session cache, 0 without reuse.
func (c *Client) sessionSlots() int {
	if !c.reuse {
		return 0
	}
	return c.sessions
}

// Name is the name certificates are checked against.
func (c *Client) Name() string { return c.name }
