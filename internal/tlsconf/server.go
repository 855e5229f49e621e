package tlsconf

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/tlsconf/cipherlist"
)

// Server is a compiled listen ... ssl profile of one server block: its
// ssl_* settings mapped onto crypto/tls once, and the material read from
// files (certificates, client trust store, CRLs, session ticket keys),
// which Reload may replace while the Server serves. Safe for concurrent
// use; built once per configuration load.
type Server struct {
	settings config.ClientTLS
	files    []string    // what a rotation may replace (serverFilesOf)
	proto    *tls.Config // settings only; each material clones it
	level    int         // the security level of ssl_ciphers
	verify   string      // ssl_verify_client
	reject   bool
	timeout  time.Duration
	now      func() time.Time
	// cache holds the stateful sessions (shared zone or builtin cache),
	// nil for stateless tickets or none; randomKey encrypts tickets
	// without ssl_session_ticket_key. Both outlive rotations, so that a
	// rotation ends only the sessions its new files would refuse.
	cache     *SessionCache
	randomKey [32]byte
	// cur is the material in use. A handshake reads it once, at its
	// start, and keeps what it read: a rotation never changes a
	// handshake or session in flight.
	cur      atomic.Pointer[serverMaterial]
	reloadMu sync.Mutex // one Reload at a time
}

// ServerOptions are what a Server needs from its caller.
type ServerOptions struct {
	// Now is the clock for certificate verification and session
	// lifetimes; time.Now when nil.
	Now func() time.Time
	// KeyLog receives the secrets of every session in NSS key log
	// format (ssl_key_log); nil when off.
	KeyLog io.Writer
	// Cache is the shared session cache the block names with
	// ssl_session_cache shared:NAME; nil for none. Blocks naming the
	// same zone get the same Cache.
	Cache *SessionCache
}

// NewServer compiles s. Errors read like nginx's.
func NewServer(s config.ClientTLS, o ServerOptions) (*Server, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	srv := &Server{settings: s, verify: s.VerifyClient, reject: s.RejectHandshake, timeout: s.HandshakeTimeout, now: o.Now}
	if srv.verify == "" {
		srv.verify = "off"
	}
	cfg := &tls.Config{
		NextProtos:   s.ALPN,
		KeyLogWriter: o.KeyLog,
		// Go's server orders suites itself (PreferServerCipherSuites has
		// no effect since Go 1.17); ssl_ciphers selects them.
	}
	var err error
	if cfg.MinVersion, cfg.MaxVersion, _, err = versionRange(s.Protocols); err != nil {
		return nil, fmt.Errorf("ssl_protocols: %w", err)
	}
	if s.Ciphers != "" {
		if cfg.CipherSuites, err = cipherlist.Evaluate(s.Ciphers); err != nil {
			return nil, fmt.Errorf("SSL_CTX_set_cipher_list(%q) failed (%w)", s.Ciphers, err)
		}
	}
	if err = applyECDHCurve(cfg, s.ECDHCurve); err != nil {
		return nil, err
	}
	if err = applyConfCommands(cfg, s.ConfCommands); err != nil {
		return nil, errors.New(strings.Replace(err.Error(), "proxy_ssl_conf_command", "ssl_conf_command", 1))
	}
	srv.level = securityLevel(s.Ciphers)
	if err = restrictGroups(cfg, srv.level); err != nil {
		return nil, fmt.Errorf("invalid ssl_ciphers %q: %w", s.Ciphers, err)
	}
	if statefulSessions(s) {
		srv.cache = o.Cache
		if srv.cache == nil {
			srv.cache = NewSessionCache(s.SessionCache.Builtin)
		}
	}
	if _, err := rand.Read(srv.randomKey[:]); err != nil {
		return nil, err
	}
	srv.proto = cfg
	srv.files = serverFilesOf(s)
	m, err := srv.load()
	if err != nil {
		return nil, err
	}
	srv.cur.Store(m)
	return srv, nil
}

// loadServerMaterial reads every file of the profile and checks that
// they fit together, with the same code at start and on rotation.
func (srv *Server) loadServerMaterial() (*serverMaterial, error) {
	m := &serverMaterial{}
	cfg := srv.proto.Clone()
	var err error
	if cfg.Certificates, err = srv.loadCertificates(m); err != nil {
		return nil, err
	}
	if err = srv.loadTrust(m, cfg); err != nil {
		return nil, err
	}
	if m.sessions, err = newSessions(srv.settings, srv.cache, srv.randomKey, cfg, m.chain.store, srv.now); err != nil {
		return nil, err
	}
	m.base = cfg
	return m, nil
}

// loadCertificates loads every ssl_certificate/ssl_certificate_key pair.
// Keys a client may not support (ECDSA, Ed25519) come first: crypto/tls
// serves the first certificate the client supports, and OpenSSL, serving
// by the client's signature algorithm preference, picks ECDSA over RSA
// for every common client.
func (srv *Server) loadCertificates(m *serverMaterial) ([]tls.Certificate, error) {
	var out []tls.Certificate
	for _, ck := range srv.settings.Certificates {
		c, err := loadKeyPairFor("ssl", ck.Certificate, ck.Key, srv.settings.PasswordFile)
		if err != nil {
			return nil, err
		}
		if leafKeyTooWeak(c.Leaf, srv.level) {
			return nil, fmt.Errorf("SSL_CTX_use_certificate(%q) failed (SSL: error:0A00018F:SSL routines::ee key too small)", shown(ck.Certificate))
		}
		for i, der := range c.Certificate {
			x := c.Leaf
			if i > 0 {
				if x, err = x509.ParseCertificate(der); err != nil {
					return nil, fmt.Errorf("cannot load certificate %q: %w", shown(ck.Certificate), err)
				}
			}
			role := RoleServer
			if i > 0 {
				role = RoleServerChain
			}
			m.certs = append(m.certs, certificateFact(shown(ck.Certificate), role, x))
		}
		out = append(out, *c)
	}
	slices.SortStableFunc(out, func(a, b tls.Certificate) int { return rsaRank(a) - rsaRank(b) })
	return out, nil
}

func rsaRank(c tls.Certificate) int {
	if c.Leaf != nil && c.Leaf.PublicKeyAlgorithm == x509.RSA {
		return 1
	}
	return 0
}

// loadTrust reads what client verification needs: the anchors of
// ssl_client_certificate (whose names are also sent to clients as
// acceptable issuers) and ssl_trusted_certificate (not sent), and the
// CRLs. Only with ssl_verify_client other than off, as nginx.
func (srv *Server) loadTrust(m *serverMaterial, cfg *tls.Config) error {
	s := srv.settings
	if srv.verify == "off" {
		return nil
	}
	// crypto/tls only asks: the verdict is strait's own, after the
	// handshake, as nginx's verify callback accepts every certificate
	// and ngx_stream_ssl_handler judges the result.
	cfg.ClientAuth = tls.RequestClientCert
	var store []*x509.Certificate
	if s.ClientCertificate != "" {
		certs, err := loadCertificates("certificate", s.ClientCertificate)
		if err != nil {
			return err
		}
		cfg.ClientCAs = x509.NewCertPool()
		for _, c := range certs {
			cfg.ClientCAs.AddCert(c)
			m.certs = append(m.certs, certificateFact(shown(s.ClientCertificate), RoleClientCA, c))
		}
		store = append(store, certs...)
	}
	if s.TrustedCertificate != "" {
		certs, err := loadCertificates("certificate", s.TrustedCertificate)
		if err != nil {
			return err
		}
		for _, c := range certs {
			m.certs = append(m.certs, certificateFact(shown(s.TrustedCertificate), RoleClientCA, c))
		}
		store = append(store, certs...)
	}
	m.chain = chainVerifier{store: store, depth: s.VerifyDepth, level: srv.level, purpose: PurposeSSLClient,
		sigs: newSignatureCache(), facts: newFactsCache()}
	if s.CRL != "" {
		crls, err := loadCRLs(s.CRL)
		if err != nil {
			return err
		}
		if err = checkCRLIssuers(s.CRL, crls, store); err != nil {
			return err
		}
		m.chain.crls, m.chain.check = crls, true
		for _, crl := range crls {
			m.crls = append(m.crls, CRLFact{File: s.CRL, Issuer: crl.Issuer.String(), NextUpdate: crl.NextUpdate})
		}
	}
	return nil
}

// applyECDHCurve maps ssl_ecdh_curve onto the groups offered: "auto" is
// Go's default list, otherwise OpenSSL group names joined by ":".
func applyECDHCurve(cfg *tls.Config, v string) error {
	if v == "" || v == "auto" {
		return nil
	}
	var ids []tls.CurveID
	for _, g := range strings.Split(v, ":") {
		id, ok := curveIDs[strings.ToLower(strings.TrimSpace(g))]
		if !ok {
			return fmt.Errorf("SSL_CTX_set1_curves_list(%q) failed (unsupported group %q)", v, g)
		}
		ids = append(ids, id)
	}
	cfg.CurvePreferences = ids
	return nil
}

// Timeout is ssl_handshake_timeout.
func (srv *Server) Timeout() time.Duration { return srv.timeout }
