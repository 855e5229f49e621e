package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/tlsconf/cipherlist"
)

// Server is a compiled listen ... ssl profile of one server block: its
// ssl_* settings mapped onto crypto/tls once, with the certificates, the
// client trust store, session ticket keys and caches it uses. Safe for
// concurrent use; built once per configuration load.
type Server struct {
	settings config.ClientTLS
	base     *tls.Config // cloned for each handshake
	verify   string      // ssl_verify_client
	chain    chainVerifier
	reject   bool
	timeout  time.Duration
	sessions *sessions
	now      func() time.Time
	certs    []CertificateFact
	crls     []CRLFact
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
	level := securityLevel(s.Ciphers)
	if err = restrictGroups(cfg, level); err != nil {
		return nil, fmt.Errorf("invalid ssl_ciphers %q: %w", s.Ciphers, err)
	}
	if cfg.Certificates, err = srv.loadCertificates(level); err != nil {
		return nil, err
	}
	if err = srv.loadTrust(cfg, level); err != nil {
		return nil, err
	}
	if srv.sessions, err = newSessions(s, o.Cache, cfg, srv.chain.store, o.Now); err != nil {
		return nil, err
	}
	srv.base = cfg
	return srv, nil
}

// loadCertificates loads every ssl_certificate/ssl_certificate_key pair.
// Keys a client may not support (ECDSA, Ed25519) come first: crypto/tls
// serves the first certificate the client supports, and OpenSSL, serving
// by the client's signature algorithm preference, picks ECDSA over RSA
// for every common client.
func (srv *Server) loadCertificates(level int) ([]tls.Certificate, error) {
	var out []tls.Certificate
	for _, ck := range srv.settings.Certificates {
		c, err := loadKeyPairFor("ssl", ck.Certificate, ck.Key, srv.settings.PasswordFile)
		if err != nil {
			return nil, err
		}
		if leafKeyTooWeak(c.Leaf, level) {
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
			srv.certs = append(srv.certs, certificateFact(shown(ck.Certificate), role, x))
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
func (srv *Server) loadTrust(cfg *tls.Config, level int) error {
	s := srv.settings
	if s.VerifyClient == "off" || s.VerifyClient == "" {
		srv.verify = "off"
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
			srv.certs = append(srv.certs, certificateFact(s.ClientCertificate, RoleCA, c))
		}
		store = append(store, certs...)
	}
	if s.TrustedCertificate != "" {
		certs, err := loadCertificates("certificate", s.TrustedCertificate)
		if err != nil {
			return err
		}
		for _, c := range certs {
			srv.certs = append(srv.certs, certificateFact(s.TrustedCertificate, RoleCA, c))
		}
		store = append(store, certs...)
	}
	srv.chain = chainVerifier{store: store, depth: s.VerifyDepth, level: level, purpose: PurposeSSLClient,
		sigs: newSignatureCache(), facts: newFactsCache()}
	if s.CRL != "" {
		crls, err := loadCRLs(s.CRL)
		if err != nil {
			return err
		}
		if err = checkCRLIssuers(s.CRL, crls, store); err != nil {
			return err
		}
		srv.chain.crls, srv.chain.check = crls, true
		for _, crl := range crls {
			srv.crls = append(srv.crls, CRLFact{File: s.CRL, Issuer: crl.Issuer.String(), NextUpdate: crl.NextUpdate})
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

// Certificates describes the certificates and CRLs in use, for expiry
// metrics and warnings.
func (srv *Server) Certificates() ([]CertificateFact, []CRLFact) { return srv.certs, srv.crls }
