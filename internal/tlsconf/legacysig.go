package tlsconf

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/md5"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
)

// Signature algorithms OpenSSL verifies and crypto/x509 does not: MD5 with
// RSA (accepted by OpenSSL only at security level 0) and the SHA-224
// forms (112 bits: accepted up to level 2). crypto/x509 parses the last
// two as UnknownSignatureAlgorithm and refuses to check any of them.
var (
	oidMD5WithRSA      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 4}
	oidSHA224WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 14}
	oidECDSAWithSHA224 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 1}
)

type certificateOuter struct {
	TBS       asn1.RawValue
	Algorithm pkix.AlgorithmIdentifier
	Signature asn1.BitString
}

// rawSignatureAlgorithm returns the signatureAlgorithm OID of c.
func rawSignatureAlgorithm(c *x509.Certificate) asn1.ObjectIdentifier {
	var outer certificateOuter
	if _, err := asn1.Unmarshal(c.Raw, &outer); err != nil {
		return nil
	}
	return outer.Algorithm.Algorithm
}

// legacySignedBy checks an MD5 or SHA-224 signature of c with issuer's
// key; any other algorithm crypto/x509 cannot check fails.
func legacySignedBy(c, issuer *x509.Certificate) bool {
	oid := rawSignatureAlgorithm(c)
	var digest []byte
	var hash crypto.Hash
	switch {
	case oid.Equal(oidMD5WithRSA):
		sum := md5.Sum(c.RawTBSCertificate)
		digest, hash = sum[:], crypto.MD5
	case oid.Equal(oidSHA224WithRSA), oid.Equal(oidECDSAWithSHA224):
		sum := sha256.Sum224(c.RawTBSCertificate)
		digest, hash = sum[:], crypto.SHA224
	default:
		return false
	}
	switch pub := issuer.PublicKey.(type) {
	case *rsa.PublicKey:
		return !oid.Equal(oidECDSAWithSHA224) && rsa.VerifyPKCS1v15(pub, hash, digest, c.Signature) == nil
	case *ecdsa.PublicKey:
		return oid.Equal(oidECDSAWithSHA224) && ecdsa.VerifyASN1(pub, digest, c.Signature)
	}
	return false
}

// legacySignatureBits is the strength of an algorithm crypto/x509 does
// not know, by OID: SHA-224 is 112 bits; anything else counts as none.
func legacySignatureBits(c *x509.Certificate) int {
	oid := rawSignatureAlgorithm(c)
	if oid.Equal(oidSHA224WithRSA) || oid.Equal(oidECDSAWithSHA224) {
		return 112
	}
	return 0
}
