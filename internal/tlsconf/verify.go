package tlsconf

import (
	"bytes"
	"crypto/x509"
	"time"
)

// errorList collects verification errors in the order OpenSSL reports
// them. nginx's verify callback accepts every error and reads
// SSL_get_verify_result afterwards, which is the last error reported, so
// the last one here is the verdict.
type errorList struct {
	codes  []int
	depths []int
}

func (e *errorList) add(code, depth int) {
	e.codes = append(e.codes, code)
	e.depths = append(e.depths, depth)
}

func (e *errorList) last() (code, depth int) {
	if len(e.codes) == 0 {
		return codeOK, 0
	}
	return e.codes[len(e.codes)-1], e.depths[len(e.depths)-1]
}

// chainVerifier checks a peer's certificates the way OpenSSL's
// X509_verify_cert does for an nginx proxy_ssl_verify client.
type chainVerifier struct {
	store []*x509.Certificate    // every certificate of proxy_ssl_trusted_certificate
	crls  []*x509.RevocationList // proxy_ssl_crl, nil when unset
	depth int                    // proxy_ssl_verify_depth
	check bool                   // CRL checking on (proxy_ssl_crl set)
	sigs  *signatureCache        // nil: verify every signature every time
	facts *factsCache            // nil: parse extensions every time
	// purpose is what the leaf must be fit for: a server's certificate
	// (proxy_ssl_verify) or a client's (ssl_verify_client).
	purpose Purpose
	// level is OpenSSL's security level (auth_level): the least key
	// strength and signature digest strength accepted; 0 checks nothing.
	level int
}

// verify returns the OpenSSL verify code (0 for success) and the depth of
// the certificate it concerns.
func (v *chainVerifier) verify(peer []*x509.Certificate, now time.Time) (code, depth int) {
	errs := v.verifyErrors(peer, now)
	return errs.last()
}

// verifyErrors returns every error in the order OpenSSL 3.0's
// X509_verify_cert reports them to the verify callback (verify_chain):
// the leaf's key strength, chain building, extensions and purpose, the
// security level, revocation, signatures and validity, name constraints.
// It is empty when the chain verifies.
func (v *chainVerifier) verifyErrors(peer []*x509.Certificate, now time.Time) errorList {
	var errs errorList
	if len(peer) == 0 {
		errs.add(codeNoPeerCertificate, 0)
		return errs
	}
	if leafKeyTooWeak(peer[0], v.level) {
		errs.add(codeEEKeyTooSmall, 0)
	}
	r := buildChain(peer, v.store, v.depth, now, &errs)
	facts := make([]*certFacts, len(r.certs))
	for i, c := range r.certs {
		facts[i] = v.facts.get(c)
	}
	checkExtensions(r.certs, facts, v.purpose, &errs)
	checkAuthLevel(r.certs, v.level, &errs)
	if v.check {
		v.checkRevocation(r.certs, now, &errs)
	}
	checkSignaturesAndTimes(r, facts, now, v.sigs, &errs)
	checkNameConstraints(r.certs, facts, &errs)
	checkResources(facts, &errs)
	return errs
}

// checkResources stands in for OpenSSL's RFC 3779 path validation, which
// strait does not implement: a chain carrying IP address or AS identifier
// blocks is refused rather than accepted unchecked. Such extensions belong
// to the RPKI, not to TLS servers.
func checkResources(facts []*certFacts, errs *errorList) {
	for i, f := range facts {
		if f.rfc3779 {
			errs.add(codeUnnestedResource, i)
			return
		}
	}
}

// checkRevocation follows OpenSSL with X509_V_FLAG_CRL_CHECK_ALL, as nginx
// sets it: every certificate of the chain, the root included, needs a CRL
// from its issuer in the file; the leaf is checked first.
func (v *chainVerifier) checkRevocation(chain []*x509.Certificate, now time.Time, errs *errorList) {
	for i, c := range chain {
		var issuer *x509.Certificate
		switch {
		case i+1 < len(chain):
			issuer = chain[i+1]
		case selfIssued(c):
			issuer = c
		}
		if issuer == nil {
			errs.add(codeUnableToGetCRL, i)
			continue
		}
		crl, signed := v.findCRL(issuer, now)
		if crl == nil {
			errs.add(codeUnableToGetCRL, i)
			continue
		}
		if !signed {
			errs.add(codeCRLSignatureFailure, i)
		}
		if now.Before(crl.ThisUpdate) {
			errs.add(codeCRLNotYetValid, i)
		} else if !crl.NextUpdate.IsZero() && now.After(crl.NextUpdate) {
			errs.add(codeCRLHasExpired, i)
		}
		for _, e := range crl.RevokedCertificateEntries {
			if e.SerialNumber.Cmp(c.SerialNumber) == 0 {
				errs.add(codeCertRevoked, i)
				break
			}
		}
	}
}

// findCRL returns the CRL issued by issuer, preferring one whose signature
// verifies and which is current, and whether its signature verified.
func (v *chainVerifier) findCRL(issuer *x509.Certificate, now time.Time) (*x509.RevocationList, bool) {
	var best *x509.RevocationList
	bestScore := -1
	for _, crl := range v.crls {
		if !bytes.Equal(crl.RawIssuer, issuer.RawSubject) {
			continue
		}
		score := 0
		if crl.CheckSignatureFrom(issuer) == nil {
			score += 2
		}
		if !now.Before(crl.ThisUpdate) && (crl.NextUpdate.IsZero() || !now.After(crl.NextUpdate)) {
			score++
		}
		if score > bestScore {
			best, bestScore = crl, score
		}
	}
	return best, bestScore >= 2
}

// checkSignaturesAndTimes follows OpenSSL's internal_verify: from the top
// of the chain down, each certificate's signature is checked against its
// issuer and its validity period against now. The top certificate of an
// incomplete chain is skipped, and a lone leaf whose issuer is unknown
// gives "unable to verify the first certificate".
func checkSignaturesAndTimes(r chainResult, facts []*certFacts, now time.Time, sigs *signatureCache, errs *errorList) {
	n := len(r.certs) - 1
	top := r.certs[n]
	if !selfIssued(top) {
		if n == 0 {
			errs.add(codeUnableToVerifyLeaf, 0)
			checkTime(top, 0, now, errs)
			return
		}
		n--
	}
	for ; n >= 0; n-- {
		c := r.certs[n]
		if n+1 < len(r.certs) {
			// An issuer whose key usage forbids certificate signing is
			// reported at its own depth, before the signature.
			if !signingAllowed(r.certs[n+1], facts[n+1]) {
				errs.add(codeKeyUsageNoCertSign, n+1)
			}
			if !sigs.signedBy(c, r.certs[n+1]) {
				errs.add(codeCertSignatureFailure, n)
			}
		}
		checkTime(c, n, now, errs)
	}
}

func checkTime(c *x509.Certificate, depth int, now time.Time, errs *errorList) {
	if now.Before(c.NotBefore) {
		errs.add(codeCertNotYetValid, depth)
	} else if now.After(c.NotAfter) {
		errs.add(codeCertHasExpired, depth)
	}
}

// signedBy checks only the signature: OpenSSL reports an issuer that is no
// CA as "invalid CA certificate" (checkExtensions), not as a bad signature,
// while crypto/x509's CheckSignatureFrom would refuse it here too.
func signedBy(c, issuer *x509.Certificate) bool {
	switch c.SignatureAlgorithm {
	case x509.MD5WithRSA, x509.UnknownSignatureAlgorithm:
		return legacySignedBy(c, issuer)
	}
	return issuer.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}
