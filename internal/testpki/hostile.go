package testpki

import (
	"bytes"
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"testing"
)

// DefaultSecurityLevel is the OpenSSL security level nginx runs at when
// its configuration does not say @SECLEVEL: Debian 12 builds OpenSSL 3.0
// with level 2 (seen: a 1024-bit RSA upstream key fails with "EE
// certificate key too weak" through a plain nginx).
const DefaultSecurityLevel = 2

// HostileCase is one upstream certificate chain, unusual or hostile, with
// the proxy_ssl settings it is checked under and the verdict nginx's
// OpenSSL 3.0 gives it. The expected verdicts were taken from
// `openssl verify` and `openssl s_client` runs, not reasoned out; the
// differential tests in internal/tlsconf keep checking them.
type HostileCase struct {
	Name    string
	Served  []*x509.Certificate // what the upstream sends, leaf first
	Key     crypto.Signer       // the leaf's key, to serve Served
	Trusted []*x509.Certificate // proxy_ssl_trusted_certificate
	CRLs    [][]byte            // PEM CRLs for proxy_ssl_crl; nil: no CRL checking
	Depth   int                 // proxy_ssl_verify_depth
	Level   int                 // OpenSSL security level (@SECLEVEL, auth_level)
	Host    string              // proxy_ssl_name, what the leaf must match
	// WantCode and WantDepth are OpenSSL's verify result and the depth
	// of the certificate it concerns: the last error its verify callback
	// saw, which nginx logs as "upstream SSL certificate verify error:
	// (code:reason)". 0 when the chain verifies.
	WantCode, WantDepth int
	// TLSRefused: at Level, OpenSSL refuses the handshake itself before
	// the chain is verified (no signature algorithm both sides allow),
	// so nginx logs a handshake failure, not WantCode, which is what
	// verification alone would say.
	TLSRefused bool
}

// TLSCertificate serves the case's chain from a crypto/tls server.
func (h HostileCase) TLSCertificate() tls.Certificate {
	c := tls.Certificate{PrivateKey: h.Key, Leaf: h.Served[0]}
	for _, s := range h.Served {
		c.Certificate = append(c.Certificate, s.Raw)
	}
	return c
}

// WriteFiles writes the trusted certificates, the served chain and, when
// the case has any, the CRLs to dir as PEM, and returns their paths;
// crls is "" without CRLs.
func (h HostileCase) WriteFiles(tb testing.TB, dir string) (trusted, served, crls string) {
	tb.Helper()
	trusted = WriteCerts(tb, dir, "trusted.pem", h.Trusted...)
	served = WriteCerts(tb, dir, "served.pem", h.Served...)
	if h.CRLs != nil {
		crls = WriteFile(tb, dir, "crls.pem", bytes.Join(h.CRLs, nil))
	}
	return trusted, served, crls
}

// HostileCases returns the whole catalogue, freshly made (certificates
// are valid from an hour ago for a day). Names are unique and safe in
// file names and nginx configuration.
func HostileCases(tb testing.TB) []HostileCase {
	tb.Helper()
	var all []HostileCase
	for _, group := range []func(testing.TB) []HostileCase{
		nameConstraintCases, extensionCases, usageCases, levelCases, comboCases,
	} {
		all = append(all, group(tb)...)
	}
	seen := map[string]bool{}
	for _, h := range all {
		if seen[h.Name] {
			tb.Fatalf("testpki: two hostile cases named %q", h.Name)
		}
		seen[h.Name] = true
	}
	return all
}

// plan is the shape of one case's chain: root, intermediates (root side
// first) and leaf. Zero Specs give ECDSA P-256 certificates signed with
// SHA-256; empty common names are filled in from the case name.
type plan struct {
	root  Spec
	inter []Spec
	leaf  Spec
}

// backend is the leaf every case uses unless it says otherwise.
var backend = Spec{DNSNames: []string{"backend"}}

// std is root -> one intermediate -> leaf for backend, with fs applied
// to the plan.
func std(fs ...func(*plan)) plan {
	p := plan{inter: []Spec{{}}, leaf: backend}
	for _, f := range fs {
		f(&p)
	}
	return p
}

func (p plan) chain(tb testing.TB, name string) *Chain {
	tb.Helper()
	if p.root.CommonName == "" {
		p.root.CommonName = name + " root"
	}
	c := &Chain{Root: NewRoot(tb, p.root)}
	issuer := c.Root
	for i, s := range p.inter {
		if s.CommonName == "" {
			s.CommonName = fmt.Sprintf("%s int %d", name, i+1)
		}
		issuer = issuer.Intermediate(tb, s)
		c.Intermediates = append(c.Intermediates, issuer)
	}
	c.Leaf = issuer.Issue(tb, p.leaf)
	return c
}

// newCase builds p for a case that expects OpenSSL's result code at
// depth, at the default security level and a verify depth that fits the
// chain.
func newCase(tb testing.TB, name string, p plan, code, depth int) HostileCase {
	tb.Helper()
	return fromChain(name, p.chain(tb, name), code, depth)
}

func fromChain(name string, c *Chain, code, depth int) HostileCase {
	host := "backend"
	if l := c.Leaf.Cert; len(l.DNSNames) > 0 {
		host = l.DNSNames[0]
	} else if l.Subject.CommonName != "" {
		host = l.Subject.CommonName
	}
	return HostileCase{
		Name: name, Served: c.Leaf.Chain(), Key: c.Leaf.Key,
		Trusted: []*x509.Certificate{c.Root.Cert},
		Depth:   max(1, len(c.Intermediates)), Level: DefaultSecurityLevel, Host: host,
		WantCode: code, WantDepth: depth,
	}
}

// ext returns a Mutate hook adding extensions.
func ext(exts ...pkix.Extension) func(*x509.Certificate) {
	return func(t *x509.Certificate) { t.ExtraExtensions = append(t.ExtraExtensions, exts...) }
}

// both chains Mutate hooks.
func both(fs ...func(*x509.Certificate)) func(*x509.Certificate) {
	return func(t *x509.Certificate) {
		for _, f := range fs {
			f(t)
		}
	}
}

// OpenSSL 3.0 X509_V_ERR_* codes the catalogue expects.
const (
	errUnableToGetCRL      = 3
	errCertHasExpired      = 10
	errDepthZeroSelfSigned = 18
	errSelfSignedInChain   = 19
	errNoLocalIssuer       = 20
	errChainTooLong        = 22
	errRevoked             = 23
	errInvalidCA           = 79 // 24 before OpenSSL 3.0
	errPathLength          = 25
	errPurpose             = 26
	errKUNoCertSign        = 32
	errUnhandledCritical   = 34
	errPermitted           = 47
	errExcluded            = 48
	errSubtreeMinMax       = 49
	errUnsupportedNCType   = 51
	errUnsupportedNCSyntax = 52
	errUnsupportedName     = 53
	errEEKeyTooWeak        = 66
	errCAKeyTooWeak        = 67
	errCAMDTooWeak         = 68
)
