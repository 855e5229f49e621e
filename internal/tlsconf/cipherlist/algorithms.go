package cipherlist

// The rule engine works on bit sets shaped like OpenSSL's SSL_CIPHER
// fields: every suite sets exactly one bit per field, and an alias is a mask
// per field. Intersections ("A+B") AND the masks field by field, which is
// not always a set intersection (see strength below), so the bits are kept
// rather than precomputed suite sets.

// Key-exchange bits. Only kRSA and kECDHE occur in Go's suites; the others
// exist so that aliases like DH or PSK are known keywords that match nothing.
const (
	kRSA uint32 = 1 << iota
	kDHE
	kECDHE
	kPSK
	kRSAPSK
	kECDHEPSK
	kDHEPSK
	kSRP
	kGOST
	kGOST18
)

// kAnyPSK is what the PSK alias selects.
const kAnyPSK = kPSK | kRSAPSK | kECDHEPSK | kDHEPSK

// forwardSecret are the key exchanges @SECLEVEL=3 and above accept.
const forwardSecret = kDHE | kECDHE | kDHEPSK | kECDHEPSK

// Authentication bits.
const (
	aRSA uint32 = 1 << iota
	aDSS
	aNULL
	aECDSA
	aPSK
	aGOST01
	aGOST12
	aSRP
)

// Bulk-encryption bits.
const (
	encDES uint32 = 1 << iota
	enc3DES
	encRC4
	encRC2
	encIDEA
	encNULL
	encAES128
	encAES256
	encCamellia128
	encCamellia256
	encGOST89
	encSEED
	encAES128GCM
	encAES256GCM
	encAES128CCM
	encAES256CCM
	encAES128CCM8
	encAES256CCM8
	encGOST8912
	encChaCha20
	encARIA128GCM
	encARIA256GCM
	encMagma
	encKuznyechik
)

const (
	encAESGCM  = encAES128GCM | encAES256GCM
	encAESCCM  = encAES128CCM | encAES256CCM | encAES128CCM8 | encAES256CCM8
	encAES     = encAES128 | encAES256 | encAESGCM | encAESCCM
	encCBC     = encDES | enc3DES | encRC2 | encIDEA | encAES128 | encAES256 | encCamellia128 | encCamellia256 | encSEED
	encARIAGCM = encARIA128GCM | encARIA256GCM
)

// MAC bits. AEAD suites carry macAEAD, so "SHA256" does not select
// AES128-GCM-SHA256 (its SHA-256 is the PRF hash, not a MAC).
const (
	macMD5 uint32 = 1 << iota
	macSHA1
	macGOST94
	macGOST89
	macSHA256
	macSHA384
	macAEAD
	macGOST12
	macGOST89MAC12
	macGOST12512
)

// Strength bits. OpenSSL tests the "strong" part and the "default" part
// separately, each as "any bit in common". A suite can carry several strong
// bits (HIGH|FIPS), but an intersection ANDs the alias masks, so HIGH+FIPS
// selects nothing even though AES suites are both.
const (
	strengthNone uint32 = 1 << iota
	strengthLow
	strengthMedium
	strengthHigh
	strengthFIPS
	strengthNotDefault // in COMPLEMENTOFDEFAULT, so never in DEFAULT

	strongMask  = strengthNone | strengthLow | strengthMedium | strengthHigh | strengthFIPS
	defaultMask = strengthNotDefault
)

// Protocol versions as OpenSSL records a suite's minimum.
const (
	versionSSL3  uint16 = 0x0300
	versionTLS10 uint16 = 0x0301
	versionTLS12 uint16 = 0x0303
)

// pattern is one selector: a suite matches when every non-zero field has a
// bit in common with it (minVersion must be equal; id must be equal).
type pattern struct {
	id         uint16
	hasID      bool
	kx, auth   uint32
	enc, mac   uint32
	minVersion uint16
	strength   uint32
}

// matches reports whether s is selected by p, as OpenSSL's
// ssl_cipher_apply_rule decides it.
func (p pattern) matches(s *entry) bool {
	switch {
	case p.hasID && p.id != s.ID:
		return false
	case p.kx != 0 && p.kx&s.kx == 0:
		return false
	case p.auth != 0 && p.auth&s.auth == 0:
		return false
	case p.enc != 0 && p.enc&s.enc == 0:
		return false
	case p.mac != 0 && p.mac&s.mac == 0:
		return false
	case p.minVersion != 0 && p.minVersion != s.MinVersion:
		return false
	case p.strength&strongMask != 0 && p.strength&strongMask&s.strength == 0:
		return false
	case p.strength&defaultMask != 0 && p.strength&defaultMask&s.strength == 0:
		return false
	}
	return true
}

// narrow intersects p with the selector a (one word of "A+B+C") and reports
// whether anything can still match; exact is true when a names one suite,
// whose protocol version then does not join the pattern (OpenSSL's rule).
func (p *pattern) narrow(a pattern, exact bool) bool {
	if !intersect(&p.kx, a.kx) || !intersect(&p.auth, a.auth) ||
		!intersect(&p.enc, a.enc) || !intersect(&p.mac, a.mac) {
		return false
	}
	if !intersectPart(&p.strength, a.strength, strongMask) ||
		!intersectPart(&p.strength, a.strength, defaultMask) {
		return false
	}
	if exact {
		p.id, p.hasID = a.id, true
		return true
	}
	if a.minVersion != 0 {
		if p.minVersion != 0 && p.minVersion != a.minVersion {
			return false
		}
		p.minVersion = a.minVersion
	}
	return true
}

// intersect ANDs src into *dst when src constrains the field; a field that
// becomes empty means the whole pattern can match nothing.
func intersect(dst *uint32, src uint32) bool {
	if src == 0 {
		return true
	}
	if *dst == 0 {
		*dst = src
		return true
	}
	*dst &= src
	return *dst != 0
}

// intersectPart is intersect restricted to the bits in part of a field that
// holds two independently tested parts (strength).
func intersectPart(dst *uint32, src, part uint32) bool {
	src &= part
	if src == 0 {
		return true
	}
	if *dst&part == 0 {
		*dst |= src
		return true
	}
	*dst &= src | ^part
	return *dst&part != 0
}
