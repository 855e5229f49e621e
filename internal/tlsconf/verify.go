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

// verifyErrors returns every error in the order OpenSSL's verify
// callback would see them; empty when the chain verifies.
func (v *chainVerifier) verifyErrors(peer []*x509.Certificate, now time.Time) errorList {
	var errs errorList
	if len(peer) == 0 {
		errs.add(codeNoPeerCertificate, 0)
		return errs
	}
	r := buildChain(peer, v.store, v.depth, now, &errs)
	checkExtensions(r.certs, &errs)
	if v.check {
		v.checkRevocation(r.certs, now, &errs)
	}
	checkSignaturesAndTimes(r, now, v.sigs, &errs)
	return errs
}

// checkExtensions follows OpenSSL's check_extensions for the checks that
// matter with the "ssl_server" purpose: every certificate above the leaf
// must be a CA within its path length, and a leaf that limits its
// extended key usage must allow server authentication.
func checkExtensions(chain []*x509.Certificate, errs *errorList) {
	for i, c := range chain {
		if i == 0 {
			if !serverPurpose(c) {
				errs.add(codeInvalidPurpose, 0)
			}
			continue
		}
		if !c.BasicConstraintsValid || !c.IsCA {
			errs.add(codeInvalidCA, i)
			continue
		}
		// Certificates between this CA and the leaf, self-issued ones
		// excluded, must not exceed its pathLenConstraint.
		below := 0
		for _, b := range chain[1:i] {
			if !selfIssued(b) {
				below++
			}
		}
		if (c.MaxPathLen > 0 || c.MaxPathLenZero) && below > c.MaxPathLen {
			errs.add(codePathLengthExceeded, i)
		}
	}
}

func serverPurpose(c *x509.Certificate) bool {
	if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 {
		return true
	}
	for _, u := range c.ExtKeyUsage {
		if u == x509.ExtKeyUsageServerAuth || u == x509.ExtKeyUsageAny ||
			u == x509.ExtKeyUsageNetscapeServerGatedCrypto || u == x509.ExtKeyUsageMicrosoftServerGatedCrypto {
			return true
		}
	}
	return false
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
func checkSignaturesAndTimes(r chainResult, now time.Time, sigs *signatureCache, errs *errorList) {
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
		if n+1 < len(r.certs) && !sigs.signedBy(c, r.certs[n+1]) {
			errs.add(codeCertSignatureFailure, n)
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
	return issuer.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}
