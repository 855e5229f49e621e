package tlsconf

import (
	"bytes"
	"crypto/x509"
	"time"
)

// chainResult is a certificate path as OpenSSL's build_chain leaves it:
// the leaf first, then issuers; the first untrusted certs came from the
// peer, the rest from the trusted file.
type chainResult struct {
	certs        []*x509.Certificate
	numUntrusted int  // certs[:numUntrusted] came from the peer
	trusted      bool // ends in a self-signed certificate from the trusted file
}

// issuedBy reports whether parent's name (and key identifier, when both
// carry one) make it a candidate issuer of child, as X509_check_issued does
// before any signature is checked.
func issuedBy(child, parent *x509.Certificate) bool {
	if !bytes.Equal(child.RawIssuer, parent.RawSubject) {
		return false
	}
	if len(child.AuthorityKeyId) > 0 && len(parent.SubjectKeyId) > 0 &&
		!bytes.Equal(child.AuthorityKeyId, parent.SubjectKeyId) {
		return false
	}
	return true
}

func selfIssued(c *x509.Certificate) bool { return issuedBy(c, c) }

func validAt(c *x509.Certificate, now time.Time) bool {
	return !now.Before(c.NotBefore) && !now.After(c.NotAfter)
}

// findIssuer returns a candidate issuer of c among pool, preferring one
// valid at now (as OpenSSL's find_issuer does), skipping certs in used.
func findIssuer(c *x509.Certificate, pool []*x509.Certificate, used []*x509.Certificate, now time.Time) *x509.Certificate {
	var fallback *x509.Certificate
	for _, p := range pool {
		if !issuedBy(c, p) || contains(used, p) {
			continue
		}
		if validAt(p, now) {
			return p
		}
		if fallback == nil {
			fallback = p
		}
	}
	return fallback
}

func contains(list []*x509.Certificate, c *x509.Certificate) bool {
	for _, l := range list {
		if l == c || bytes.Equal(l.Raw, c.Raw) {
			return true
		}
	}
	return false
}

// buildChain follows OpenSSL 3's build_chain with X509_V_FLAG_TRUSTED_FIRST
// (its default) and without partial chains, and reports the same errors:
//
//   - At each step the issuer is looked up in the trusted file first, then
//     among the certificates the peer sent. Once a trusted certificate is
//     in the chain only trusted certificates may follow it.
//   - depth is proxy_ssl_verify_depth: no lookups happen once the chain
//     holds depth+2 certificates, so a longer path fails with "certificate
//     chain too long" followed by the reason the top is untrusted.
//   - The chain is trusted only when it ends in a self-signed certificate
//     from the trusted file; a trusted intermediate is no anchor.
func buildChain(peer []*x509.Certificate, store []*x509.Certificate, depth int, now time.Time, errs *errorList) chainResult {
	r := chainResult{certs: []*x509.Certificate{peer[0]}, numUntrusted: 1}
	maxDepth := depth + 1
	untrusted := peer[1:]
	for {
		num := len(r.certs)
		curr := r.certs[num-1]
		if num <= maxDepth {
			if selfIssued(curr) {
				// A self-signed peer certificate is trusted only if
				// the trusted file holds that very certificate.
				if contains(store, curr) {
					r.trusted = true
				}
				break
			}
			if is := findIssuer(curr, store, r.certs, now); is != nil {
				r.certs = append(r.certs, is)
				if selfIssued(is) {
					r.trusted = true
					break
				}
				continue
			}
		}
		if r.numUntrusted < len(r.certs) || selfIssued(curr) || num > maxDepth {
			break
		}
		is := findIssuer(curr, untrusted, r.certs, now)
		if is == nil {
			break
		}
		r.certs = append(r.certs, is)
		r.numUntrusted++
	}
	if r.trusted {
		return r
	}
	num := len(r.certs)
	top := num - 1
	if num > maxDepth {
		errs.add(codeChainTooLong, top)
	}
	switch {
	case selfIssued(r.certs[top]) && num == 1:
		errs.add(codeDepthZeroSelfSigned, top)
	case selfIssued(r.certs[top]):
		errs.add(codeSelfSignedInChain, top)
	case r.numUntrusted < num:
		errs.add(codeUnableToGetIssuer, top)
	default:
		errs.add(codeUnableToGetLocalIssuer, top)
	}
	return r
}
