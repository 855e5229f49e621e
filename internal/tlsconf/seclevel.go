package tlsconf

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"math"
)

// DefaultSecurityLevel is the OpenSSL security level strait applies when
// proxy_ssl_ciphers names none (@SECLEVEL=n): 2, as Debian builds OpenSSL
// 3, so that nginx on Debian and strait refuse the same keys and digests.
const DefaultSecurityLevel = 2

// minBits is OpenSSL's minbits_table: the security bits levels 1 to 5
// require of keys and signature digests.
var minBits = [...]int{80, 112, 128, 192, 256}

func levelBits(level int) int {
	if level > len(minBits) {
		level = len(minBits)
	}
	return minBits[level-1]
}

// keySecurityBits is EVP_PKEY_get_security_bits: RSA by OpenSSL 3.0's
// estimate for the modulus size (SP 800-56B), ECDSA half the order size,
// Ed25519 128; 0 for keys crypto/x509 could not decode.
func keySecurityBits(pub any) int {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return rsaSecurityBits(k.N.BitLen())
	case *ecdsa.PublicKey:
		return k.Curve.Params().N.BitLen() / 2
	case ed25519.PublicKey:
		return 128
	}
	return 0
}

// rsaSecurityBits is OpenSSL 3.0's rsa_compute_security_bits:
// 1.923·∛(n·ln2·(ln(n·ln2))²) − 4.69, in bits, rounded to a multiple of 8.
func rsaSecurityBits(n int) int {
	if n >= 687737 {
		return 1200
	}
	if n < 8 {
		return 0
	}
	x := float64(n) * math.Ln2
	lx := math.Log(x)
	y := int((1.923*math.Cbrt(x*lx*lx) - 4.69) / math.Ln2)
	return (y + 4) &^ 7
}

// signatureSecurityBits is the security X509_get_signature_info gives a
// certificate's signature: half the digest size, 63 for SHA-1 and 39 for
// MD5 (both broken for collisions), 128 for Ed25519.
func signatureSecurityBits(c *x509.Certificate) int {
	switch c.SignatureAlgorithm {
	case x509.UnknownSignatureAlgorithm:
		return legacySignatureBits(c)
	case x509.MD5WithRSA:
		return 39
	case x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1:
		return 63
	case x509.SHA256WithRSA, x509.SHA256WithRSAPSS, x509.DSAWithSHA256, x509.ECDSAWithSHA256, x509.PureEd25519:
		return 128
	case x509.SHA384WithRSA, x509.SHA384WithRSAPSS, x509.ECDSAWithSHA384:
		return 192
	case x509.SHA512WithRSA, x509.SHA512WithRSAPSS, x509.ECDSAWithSHA512:
		return 256
	}
	return 0
}

// leafKeyTooWeak is X509_verify_cert's first check: at a positive level
// the peer's own key must be strong enough, before any chain is built.
func leafKeyTooWeak(leaf *x509.Certificate, level int) bool {
	return level > 0 && keySecurityBits(leaf.PublicKey) < levelBits(level)
}

// checkAuthLevel is OpenSSL's check_auth_level: every issuer's key, and
// every signature except the top certificate's own, must reach the level.
// The leaf's key was checked before the chain was built.
func checkAuthLevel(chain []*x509.Certificate, level int, errs *errorList) {
	if level <= 0 {
		return
	}
	need := levelBits(level)
	for i, c := range chain {
		if i > 0 && keySecurityBits(c.PublicKey) < need {
			errs.add(codeCAKeyTooSmall, i)
		}
		if i < len(chain)-1 && signatureSecurityBits(c) < need {
			errs.add(codeCAMDTooWeak, i)
		}
	}
}

// groupSecurityBits is the classical strength of a key exchange group (a
// hybrid counts as its elliptic-curve half, which is all OpenSSL 3.0's
// security callback would see of it).
func groupSecurityBits(id tls.CurveID) int {
	switch id {
	case tls.CurveP384, tls.SecP384r1MLKEM1024:
		return 192
	case tls.CurveP521:
		return 260
	}
	return 128 // X25519, P-256 and their hybrids
}

// restrictGroups drops the key exchange groups below the security level,
// as OpenSSL's security callback does before the ClientHello. It matters
// from level 4 on: X25519 and P-256 are 128-bit groups.
func restrictGroups(cfg *tls.Config, level int) error {
	if level < 4 {
		return nil
	}
	groups := cfg.CurvePreferences
	if len(groups) == 0 {
		groups = []tls.CurveID{tls.SecP384r1MLKEM1024, tls.CurveP384, tls.CurveP521}
	}
	var kept []tls.CurveID
	for _, g := range groups {
		if groupSecurityBits(g) >= levelBits(level) {
			kept = append(kept, g)
		}
	}
	if len(kept) == 0 {
		return fmt.Errorf("no key exchange group meets security level %d", level)
	}
	cfg.CurvePreferences = kept
	return nil
}
