package tlsconf

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/straitproxy/strait/internal/config"
)

// material is what a Client reads from files: the client certificate and
// key, the trust store and CRLs, with the tls.Config and session caches
// that use them. It is loaded as a whole, by the same code at start and on
// rotation, and never changes once loaded: a rotation swaps in a new one.
type material struct {
	base  *tls.Config      // the Client's settings with this material's certificate and verifier
	cert  *tls.Certificate // nil without proxy_ssl_certificate
	chain chainVerifier
	// peers holds one tls.Config per peer address with its own session
	// cache. The caches belong to the material, so a session made with
	// the old client certificate or under the old trust is never resumed
	// once new material is in place: the first handshake after a
	// rotation is a full one, presenting the new certificate.
	peers sync.Map
	certs []CertificateFact
	crls  []CRLFact
	stamp stamp // the files' state just before they were read
}

// Certificate roles, the values of CertificateFact.Role.
const (
	RoleClient      = "client"       // the leaf of proxy_ssl_certificate
	RoleClientChain = "client_chain" // an intermediate sent with it
	RoleCA          = "ca"           // a certificate of proxy_ssl_trusted_certificate
	RoleClientCA    = "client_ca"    // a certificate of ssl_client_certificate or ssl_trusted_certificate
	RoleServer      = "server"       // the leaf of an ssl_certificate
	RoleServerChain = "server_chain" // an intermediate sent with it
)

// CertificateFact describes one certificate strait loaded from a file,
// for expiry metrics and warnings.
type CertificateFact struct {
	File     string
	Role     string // one of the Role constants
	Subject  string // RFC 2253
	Serial   string // hexadecimal
	NotAfter time.Time
}

// CRLFact describes one CRL of proxy_ssl_crl.
type CRLFact struct {
	File       string
	Issuer     string    // RFC 2253
	NextUpdate time.Time // zero when the CRL has none
}

// loadMaterial reads every file s names and checks that they fit
// together. Only the files in use are read: the trusted certificates and
// CRLs only with proxy_ssl_verify on, as nginx does.
func loadMaterial(s config.ProxySSL) (*material, error) {
	m := &material{}
	if s.Certificate != "" {
		cert, err := loadKeyPair(s.Certificate, s.CertificateKey, s.PasswordFile)
		if err != nil {
			return nil, err
		}
		m.cert = cert
		for i, der := range cert.Certificate {
			x := cert.Leaf
			if i > 0 {
				if x, err = x509.ParseCertificate(der); err != nil {
					return nil, about(fmt.Errorf("cannot load certificate %q: %w", s.Certificate, err), certificatePos)
				}
			}
			role := RoleClient
			if i > 0 {
				role = RoleClientChain
			}
			m.certs = append(m.certs, certificateFact(s.Certificate, role, x))
		}
	}
	if !s.Verify {
		return m, nil
	}
	if s.TrustedCertificate == "" {
		return nil, about(errors.New("no proxy_ssl_trusted_certificate for proxy_ssl_verify"), verifyPos)
	}
	store, err := loadCertificates("trusted certificate", s.TrustedCertificate)
	if err != nil {
		return nil, about(err, trustedPos)
	}
	for _, x := range store {
		m.certs = append(m.certs, certificateFact(s.TrustedCertificate, RoleCA, x))
	}
	m.chain = chainVerifier{store: store, depth: s.VerifyDepth, level: securityLevel(s.Ciphers),
		sigs: newSignatureCache(), facts: newFactsCache()}
	if s.CRL != "" {
		if m.chain.crls, err = loadCRLs(s.CRL); err != nil {
			return nil, about(err, crlPos)
		}
		if err = checkCRLIssuers(s.CRL, m.chain.crls, store); err != nil {
			return nil, about(err, crlPos)
		}
		m.chain.check = true
		for _, crl := range m.chain.crls {
			m.crls = append(m.crls, CRLFact{File: s.CRL, Issuer: crl.Issuer.String(), NextUpdate: crl.NextUpdate})
		}
	}
	return m, nil
}

func certificateFact(file, role string, x *x509.Certificate) CertificateFact {
	return CertificateFact{File: file, Role: role, Subject: x.Subject.String(),
		Serial: fmt.Sprintf("%x", x.SerialNumber), NotAfter: x.NotAfter}
}

// checkCRLIssuers refuses a CRL whose issuer is a certificate of the
// trusted file but whose signature that certificate does not verify.
// Every handshake through that CA would fail with "CRL signature
// failure", so a file like that is almost always a mistake (a CRL of
// another CA under the same name, a truncated copy); refusing it at load
// keeps a rotation from putting it in place. nginx loads such a file and
// fails the handshakes instead. CRLs of intermediates the upstream sends
// can only be checked during the handshake, as before.
func checkCRLIssuers(path string, crls []*x509.RevocationList, store []*x509.Certificate) error {
	for i, crl := range crls {
		known, signed := false, false
		for _, ca := range store {
			if !bytes.Equal(crl.RawIssuer, ca.RawSubject) {
				continue
			}
			known = true
			// The signature alone: whether the issuer may sign CRLs is
			// the verifier's question, asked at each handshake.
			if ca.CheckSignature(crl.SignatureAlgorithm, crl.RawTBSRevocationList, crl.Signature) == nil {
				signed = true
				break
			}
		}
		if known && !signed {
			return fmt.Errorf("cannot load CRL %q: CRL %d is not signed by its issuer %q of the trusted certificates",
				path, i+1, crl.Issuer.String())
		}
	}
	return nil
}
