package tlsconf

import (
	"crypto/x509"
	"sync"
)

// maxCachedSignatures bounds a signature cache; it is cleared when full.
// A profile sees a handful of chains, so this is only a safety net.
const maxCachedSignatures = 1024

// signatureCache remembers certificate signatures that verified, keyed by
// the certificate and issuer pointers. VerifyConnection runs on every
// handshake, resumed ones included, and the chain's signature check (an
// ECDSA or RSA verification) dominated its cost. A signature is a pure
// function of the two certificates, and crypto/tls hands back the same
// *x509.Certificate for the same DER (a resumed session keeps its
// certificates; full handshakes go through its certificate cache), so the
// result can be reused. Validity periods, CRLs, purpose and the name are
// still checked on every handshake.
type signatureCache struct {
	mu sync.Mutex
	ok map[[2]*x509.Certificate]struct{}
}

func newSignatureCache() *signatureCache {
	return &signatureCache{ok: make(map[[2]*x509.Certificate]struct{})}
}

// signedBy reports whether issuer's key verifies c's signature, from the
// cache when this pair verified before. A nil cache always verifies.
func (sc *signatureCache) signedBy(c, issuer *x509.Certificate) bool {
	if sc == nil {
		return signedBy(c, issuer)
	}
	key := [2]*x509.Certificate{c, issuer}
	sc.mu.Lock()
	_, hit := sc.ok[key]
	sc.mu.Unlock()
	if hit {
		return true
	}
	if !signedBy(c, issuer) {
		return false
	}
	sc.mu.Lock()
	if len(sc.ok) >= maxCachedSignatures {
		clear(sc.ok)
	}
	sc.ok[key] = struct{}{}
	sc.mu.Unlock()
	return true
}
