package tlsconf

import (
	"crypto/x509"
	"encoding/asn1"
	"sync"
)

// Extension OIDs OpenSSL 3.0 knows how to process (X509_supported_extension
// in crypto/x509/v3_purp.c). A critical extension outside this list makes
// OpenSSL report "unhandled critical extension", even where crypto/x509
// understands it (subject and authority key identifiers, issuer alt name).
var (
	oidNetscapeCertType   = asn1.ObjectIdentifier{2, 16, 840, 1, 113730, 1, 1}
	oidKeyUsage           = asn1.ObjectIdentifier{2, 5, 29, 15}
	oidSubjectAltName     = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidBasicConstraints   = asn1.ObjectIdentifier{2, 5, 29, 19}
	oidCertPolicies       = asn1.ObjectIdentifier{2, 5, 29, 32}
	oidCRLDistribution    = asn1.ObjectIdentifier{2, 5, 29, 31}
	oidExtKeyUsage        = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidIPAddrBlocks       = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 7}
	oidASIdentifiers      = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 8}
	oidOCSPNoCheck        = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 5}
	oidPolicyConstraints  = asn1.ObjectIdentifier{2, 5, 29, 36}
	oidProxyCertInfo      = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 14}
	oidNameConstraints    = asn1.ObjectIdentifier{2, 5, 29, 30}
	oidPolicyMappings     = asn1.ObjectIdentifier{2, 5, 29, 33}
	oidInhibitAnyPolicy   = asn1.ObjectIdentifier{2, 5, 29, 54}
	supportedCriticalOIDs = []asn1.ObjectIdentifier{
		oidNetscapeCertType, oidKeyUsage, oidSubjectAltName, oidBasicConstraints,
		oidCertPolicies, oidCRLDistribution, oidExtKeyUsage, oidIPAddrBlocks,
		oidASIdentifiers, oidOCSPNoCheck, oidPolicyConstraints, oidProxyCertInfo,
		oidNameConstraints, oidPolicyMappings, oidInhibitAnyPolicy,
	}
)

// Netscape certificate type bits (the first octet of the bit string).
const (
	nsSSLClient = 0x80
	nsSSLServer = 0x40
	nsSSLCA     = 0x04
	nsAnyCA     = 0x07 // SSL CA, S/MIME CA, object-signing CA
)

// certFacts is what OpenSSL's ossl_x509v3_cache_extensions derives from a
// certificate and the verifier needs: which extensions are present, the
// raw name material for name constraints, and flags crypto/x509 does not
// expose.
type certFacts struct {
	hasKeyUsage       bool
	hasExtKeyUsage    bool
	hasBasicCons      bool
	hasNSCertType     bool
	nsCertType        byte
	criticalUnhandled bool // EXFLAG_CRITICAL
	proxy             bool // carries proxyCertInfo (EXFLAG_PROXY)
	rfc3779           bool // carries IP address or AS identifier blocks
	v1                bool
	sans              []generalName // nil when there is no subjectAltName
	hasSAN            bool
	nc                *nameConstraints // nil when there is none
	ncErr             bool             // a nameConstraints extension that did not parse
}

func newCertFacts(c *x509.Certificate) *certFacts {
	f := &certFacts{v1: c.Version == 1}
	for _, e := range c.Extensions {
		switch {
		case e.Id.Equal(oidKeyUsage):
			f.hasKeyUsage = true
		case e.Id.Equal(oidExtKeyUsage):
			f.hasExtKeyUsage = true
		case e.Id.Equal(oidBasicConstraints):
			f.hasBasicCons = true
		case e.Id.Equal(oidNetscapeCertType):
			f.hasNSCertType = true
			var bits asn1.BitString
			if _, err := asn1.Unmarshal(e.Value, &bits); err == nil && len(bits.Bytes) > 0 {
				f.nsCertType = bits.Bytes[0]
			}
		case e.Id.Equal(oidProxyCertInfo):
			f.proxy = true
		case e.Id.Equal(oidIPAddrBlocks), e.Id.Equal(oidASIdentifiers):
			f.rfc3779 = true
		case e.Id.Equal(oidSubjectAltName):
			f.hasSAN = true
			f.sans, _ = parseGeneralNames(e.Value)
		case e.Id.Equal(oidNameConstraints):
			nc, err := parseNameConstraints(e.Value)
			if err != nil {
				f.ncErr = true
			} else {
				f.nc = nc
			}
		}
		if e.Critical && !supportedCritical(e.Id) {
			f.criticalUnhandled = true
		}
	}
	return f
}

func supportedCritical(id asn1.ObjectIdentifier) bool {
	for _, s := range supportedCriticalOIDs {
		if id.Equal(s) {
			return true
		}
	}
	return false
}

// maxCachedFacts bounds a facts cache; it is cleared when full.
const maxCachedFacts = 1024

// factsCache keeps certFacts per certificate pointer, for the reason
// signatureCache gives: crypto/tls hands back the same *x509.Certificate
// for the same DER, so a certificate's extensions are parsed once, not on
// every handshake.
type factsCache struct {
	mu sync.Mutex
	m  map[*x509.Certificate]*certFacts
}

func newFactsCache() *factsCache {
	return &factsCache{m: make(map[*x509.Certificate]*certFacts)}
}

// get returns c's facts; a nil cache computes them every time.
func (fc *factsCache) get(c *x509.Certificate) *certFacts {
	if fc == nil {
		return newCertFacts(c)
	}
	fc.mu.Lock()
	f, ok := fc.m[c]
	fc.mu.Unlock()
	if ok {
		return f
	}
	f = newCertFacts(c)
	fc.mu.Lock()
	if len(fc.m) >= maxCachedFacts {
		clear(fc.m)
	}
	fc.m[c] = f
	fc.mu.Unlock()
	return f
}
