package tlsconf

import "crypto/x509"

// keyUsageTLS is what a TLS server's key usage must allow, any one of
// them (OpenSSL's KU_TLS).
const keyUsageTLS = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment | x509.KeyUsageKeyAgreement

// kuReject is OpenSSL's ku_reject: a key usage extension is present and
// allows none of usage.
func kuReject(c *x509.Certificate, f *certFacts, usage x509.KeyUsage) bool {
	return f.hasKeyUsage && c.KeyUsage&usage == 0
}

// xkuRejectServer is xku_reject(x, XKU_SSL_SERVER|XKU_SGC): an extended
// key usage extension is present and names neither server authentication
// nor server gated crypto. anyExtendedKeyUsage alone does not count, as in
// OpenSSL.
func xkuRejectServer(c *x509.Certificate, f *certFacts) bool {
	if !f.hasExtKeyUsage {
		return false
	}
	for _, u := range c.ExtKeyUsage {
		switch u {
		case x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageNetscapeServerGatedCrypto, x509.ExtKeyUsageMicrosoftServerGatedCrypto:
			return false
		}
	}
	return true
}

// xkuRejectClient is xku_reject(x, XKU_SSL_CLIENT): an extended key usage
// extension is present and does not name client authentication.
func xkuRejectClient(c *x509.Certificate, f *certFacts) bool {
	if !f.hasExtKeyUsage {
		return false
	}
	for _, u := range c.ExtKeyUsage {
		if u == x509.ExtKeyUsageClientAuth {
			return false
		}
	}
	return true
}

// keyUsageClient is what a TLS client's key usage must allow, any one of
// them (check_purpose_ssl_client: KU_DIGITAL_SIGNATURE | KU_KEY_AGREEMENT).
const keyUsageClient = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyAgreement

// Purpose is the OpenSSL verification purpose a chain is checked for.
type Purpose uint8

// Purposes: the certificate of a TLS server (what strait checks of
// upstreams) or of a TLS client (what strait checks of clients on listen
// ... ssl), OpenSSL's "sslserver" and "sslclient".
const (
	PurposeSSLServer Purpose = iota
	PurposeSSLClient
)

// checkCA is OpenSSL's check_ca: 0 when c cannot be a CA, 1 for a CA by
// basicConstraints, 3 for a version 1 self-signed root, 4 when a key usage
// with keyCertSign stands in for basicConstraints, 5 for a Netscape CA.
func checkCA(c *x509.Certificate, f *certFacts) int {
	if kuReject(c, f, x509.KeyUsageCertSign) {
		return 0
	}
	switch {
	case f.hasBasicCons:
		if c.IsCA {
			return 1
		}
		return 0
	case f.v1 && selfIssued(c):
		return 3
	case f.hasKeyUsage:
		return 4
	case f.hasNSCertType && f.nsCertType&nsAnyCA != 0:
		return 5
	}
	return 0
}

// serverPurpose is check_purpose_ssl_server: for a CA (requireCA) the
// extended key usage and check_ssl_ca; for the leaf the extended key
// usage, Netscape type and key usage.
func serverPurpose(c *x509.Certificate, f *certFacts, requireCA bool) bool {
	if xkuRejectServer(c, f) {
		return false
	}
	if requireCA {
		ca := checkCA(c, f)
		return ca != 0 && (ca != 5 || f.nsCertType&nsSSLCA != 0)
	}
	if f.hasNSCertType && f.nsCertType&nsSSLServer == 0 {
		return false
	}
	return !kuReject(c, f, keyUsageTLS)
}

// clientPurpose is check_purpose_ssl_client: for a CA the extended key
// usage and check_ssl_ca; for the leaf the extended key usage, key usage
// (digitalSignature or keyAgreement) and Netscape type.
func clientPurpose(c *x509.Certificate, f *certFacts, requireCA bool) bool {
	if xkuRejectClient(c, f) {
		return false
	}
	if requireCA {
		ca := checkCA(c, f)
		return ca != 0 && (ca != 5 || f.nsCertType&nsSSLCA != 0)
	}
	if kuReject(c, f, keyUsageClient) {
		return false
	}
	return !f.hasNSCertType || f.nsCertType&nsSSLClient != 0
}

// checkExtensions follows OpenSSL 3.0's check_extensions for the
// "ssl_server" or "ssl_client" purpose, certificate by certificate from the leaf up:
// unhandled critical extensions, proxy certificates, the CA flag of every
// issuer, the purpose (trust anchors too: nginx's trusted file carries no
// auxiliary trust settings), and path length constraints.
func checkExtensions(chain []*x509.Certificate, facts []*certFacts, purpose Purpose, errs *errorList) {
	check := serverPurpose
	if purpose == PurposeSSLClient {
		check = clientPurpose
	}
	plen := 0
	for i, c := range chain {
		f := facts[i]
		if f.criticalUnhandled {
			errs.add(codeUnhandledCriticalExtension, i)
		}
		if f.proxy {
			errs.add(codeProxyCertificatesNotAllowed, i)
		}
		if i > 0 {
			// Intermediates need basicConstraints CA:TRUE; the top
			// certificate may be a CA by the older rules too.
			// A CA whose nameConstraints do not decode is invalid to
			// OpenSSL (EXFLAG_INVALID makes X509_check_ca fail).
			if ca := checkCA(c, f); ca == 0 || f.ncErr || (i+1 < len(chain) && ca != 1) {
				errs.add(codeInvalidCA, i)
			}
		}
		if !check(c, f, i > 0) {
			errs.add(codeInvalidPurpose, i)
		}
		if i > 1 && hasPathLen(c) && plen > c.MaxPathLen {
			errs.add(codePathLengthExceeded, i)
		}
		if i > 0 && !selfIssued(c) {
			plen++
		}
	}
}

func hasPathLen(c *x509.Certificate) bool {
	return c.BasicConstraintsValid && (c.MaxPathLen > 0 || c.MaxPathLenZero)
}

// signingAllowed is ossl_x509_signing_allowed for ordinary certificates:
// an issuer whose key usage is present must allow keyCertSign.
func signingAllowed(issuer *x509.Certificate, f *certFacts) bool {
	return !kuReject(issuer, f, x509.KeyUsageCertSign)
}
