package testpki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"encoding/asn1"
	"testing"

	// Registered for crypto.Hash.New: crypto/x509 does not sign with
	// these, so nothing else links them in.
	_ "crypto/md5"
	_ "crypto/sha1"
	_ "crypto/sha256"
	_ "crypto/sha512"
)

// Digest is the hash a certificate's signature is made with. OpenSSL
// rates digests by security bits (MD5 39, SHA-1 63, SHA-224 112, SHA-256
// 128, SHA-384 192, SHA-512 256), which is what its security levels
// compare; crypto/x509 refuses to write MD5, SHA-1 and SHA-224
// signatures, so those are made here.
type Digest int

const (
	DigestDefault Digest = iota // whatever crypto/x509 picks for the key
	MD5
	SHA1
	SHA224
	SHA256
	SHA384
	SHA512
)

var digestHashes = map[Digest]crypto.Hash{
	MD5: crypto.MD5, SHA1: crypto.SHA1, SHA224: crypto.SHA224,
	SHA256: crypto.SHA256, SHA384: crypto.SHA384, SHA512: crypto.SHA512,
}

// Signature algorithm OIDs (RFC 3279, RFC 4055, RFC 5758).
var (
	rsaSigOIDs = map[Digest]asn1.ObjectIdentifier{
		MD5: {1, 2, 840, 113549, 1, 1, 4}, SHA1: {1, 2, 840, 113549, 1, 1, 5},
		SHA224: {1, 2, 840, 113549, 1, 1, 14}, SHA256: {1, 2, 840, 113549, 1, 1, 11},
		SHA384: {1, 2, 840, 113549, 1, 1, 12}, SHA512: {1, 2, 840, 113549, 1, 1, 13},
	}
	ecdsaSigOIDs = map[Digest]asn1.ObjectIdentifier{
		SHA1: {1, 2, 840, 10045, 4, 1}, SHA224: {1, 2, 840, 10045, 4, 3, 1},
		SHA256: {1, 2, 840, 10045, 4, 3, 2}, SHA384: {1, 2, 840, 10045, 4, 3, 3},
		SHA512: {1, 2, 840, 10045, 4, 3, 4},
	}
)

// sigAlgorithm returns the DER AlgorithmIdentifier for signing with
// signer's key type and digest d: RSA identifiers carry NULL parameters,
// ECDSA ones none (RFC 5758 section 3.2).
func sigAlgorithm(tb testing.TB, signer crypto.Signer, d Digest) []byte {
	tb.Helper()
	var ai struct {
		Algorithm  asn1.ObjectIdentifier
		Parameters asn1.RawValue `asn1:"optional"`
	}
	switch signer.Public().(type) {
	case *rsa.PublicKey:
		ai.Algorithm = rsaSigOIDs[d]
		ai.Parameters = asn1.NullRawValue
	case *ecdsa.PublicKey:
		ai.Algorithm = ecdsaSigOIDs[d]
	}
	if ai.Algorithm == nil {
		tb.Fatalf("testpki: no %T signature with digest %d", signer.Public(), d)
	}
	der, err := asn1.Marshal(ai)
	if err != nil {
		tb.Fatalf("testpki: %v", err)
	}
	return der
}

// certificate is the outer X.509 structure (RFC 5280 section 4.1).
type certificate struct {
	TBS       asn1.RawValue
	Algorithm asn1.RawValue
	Signature asn1.BitString
}

// resign rewrites the DER certificate der: its signature algorithm (in
// both places) becomes d, and with v1 the version and every extension go;
// then signer signs the new TBSCertificate.
func resign(tb testing.TB, der []byte, d Digest, v1 bool, signer crypto.Signer) []byte {
	tb.Helper()
	if d == DigestDefault {
		d = SHA256
		if k, ok := signer.Public().(*ecdsa.PublicKey); ok && k.Curve.Params().BitSize > 256 {
			d = SHA384
		}
	}
	var c certificate
	if _, err := asn1.Unmarshal(der, &c); err != nil {
		tb.Fatalf("testpki: parse certificate: %v", err)
	}
	alg := sigAlgorithm(tb, signer, d)
	var fields []byte
	index := 0 // position among the universal (untagged) fields
	for rest := c.TBS.Bytes; len(rest) > 0; {
		var f asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &f); err != nil {
			tb.Fatalf("testpki: parse TBSCertificate: %v", err)
		}
		switch {
		case f.Class == asn1.ClassContextSpecific && v1 && (f.Tag == 0 || f.Tag == 3):
			continue // version [0] and extensions [3]
		case f.Class == asn1.ClassUniversal && index == 1:
			f.FullBytes = alg // serialNumber, then signature
		}
		if f.Class == asn1.ClassUniversal {
			index++
		}
		fields = append(fields, f.FullBytes...)
	}
	tbs, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: fields})
	if err != nil {
		tb.Fatalf("testpki: %v", err)
	}
	h := digestHashes[d].New()
	h.Write(tbs)
	sig, err := signer.Sign(rand.Reader, h.Sum(nil), digestHashes[d])
	if err != nil {
		tb.Fatalf("testpki: sign with digest %d: %v", d, err)
	}
	out, err := asn1.Marshal(certificate{
		TBS:       asn1.RawValue{FullBytes: tbs},
		Algorithm: asn1.RawValue{FullBytes: alg},
		Signature: asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)},
	})
	if err != nil {
		tb.Fatalf("testpki: %v", err)
	}
	return out
}
