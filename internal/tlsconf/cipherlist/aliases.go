package cipherlist

// alias returns one of OpenSSL 3.0's cipher-list keywords (ssl/ssl_ciph.c) with
// the masks OpenSSL gives it. Keywords that stand for algorithms Go lacks
// (DH, PSK, CAMELLIA, ...) are listed so that they are known and select
// nothing; an unknown keyword is ignored, which has the same effect, but
// keeping them documents what OpenSSL accepts. Matching is case-sensitive.
//
// DEFAULT is not here: OpenSSL expands it only at the very start of the
// string (see Evaluate); anywhere else it is an unknown word.
func alias(word string) (pattern, bool) {
	switch word {
	// ALL excludes eNULL; COMPLEMENTOFALL is exactly eNULL.
	case "ALL":
		return pattern{enc: ^encNULL}, true
	case "COMPLEMENTOFALL":
		return pattern{enc: encNULL}, true
	case "COMPLEMENTOFDEFAULT":
		return pattern{strength: strengthNotDefault}, true

	case "kRSA":
		return pattern{kx: kRSA}, true
	case "kEDH", "kDHE", "DH":
		return pattern{kx: kDHE}, true
	case "kEECDH", "kECDHE", "ECDH":
		return pattern{kx: kECDHE}, true
	case "kPSK":
		return pattern{kx: kPSK}, true
	case "kRSAPSK":
		return pattern{kx: kRSAPSK}, true
	case "kECDHEPSK":
		return pattern{kx: kECDHEPSK}, true
	case "kDHEPSK":
		return pattern{kx: kDHEPSK}, true
	case "kSRP":
		return pattern{kx: kSRP}, true
	case "kGOST":
		return pattern{kx: kGOST}, true
	case "kGOST18":
		return pattern{kx: kGOST18}, true

	case "aRSA":
		return pattern{auth: aRSA}, true
	case "aDSS", "DSS":
		return pattern{auth: aDSS}, true
	case "aNULL":
		return pattern{auth: aNULL}, true
	case "aECDSA", "ECDSA":
		return pattern{auth: aECDSA}, true
	case "aPSK":
		return pattern{auth: aPSK}, true
	case "aGOST01":
		return pattern{auth: aGOST01}, true
	case "aGOST12":
		return pattern{auth: aGOST12}, true
	case "aGOST":
		return pattern{auth: aGOST01 | aGOST12}, true
	case "aSRP":
		return pattern{auth: aSRP}, true

	// Combined key exchange and authentication.
	case "EDH", "DHE":
		return pattern{kx: kDHE, auth: ^aNULL}, true
	case "EECDH", "ECDHE":
		return pattern{kx: kECDHE, auth: ^aNULL}, true
	case "NULL":
		return pattern{enc: encNULL}, true
	case "RSA":
		return pattern{kx: kRSA, auth: aRSA}, true
	case "ADH":
		return pattern{kx: kDHE, auth: aNULL}, true
	case "AECDH":
		return pattern{kx: kECDHE, auth: aNULL}, true
	case "PSK":
		return pattern{kx: kAnyPSK}, true
	case "SRP":
		return pattern{kx: kSRP}, true

	// Bulk encryption.
	case "3DES":
		return pattern{enc: enc3DES}, true
	case "RC4":
		return pattern{enc: encRC4}, true
	case "RC2":
		return pattern{enc: encRC2}, true
	case "IDEA":
		return pattern{enc: encIDEA}, true
	case "SEED":
		return pattern{enc: encSEED}, true
	case "eNULL":
		return pattern{enc: encNULL}, true
	case "GOST89":
		return pattern{enc: encGOST89 | encGOST8912}, true
	case "AES128":
		return pattern{enc: encAES128 | encAES128GCM | encAES128CCM | encAES128CCM8}, true
	case "AES256":
		return pattern{enc: encAES256 | encAES256GCM | encAES256CCM | encAES256CCM8}, true
	case "AES":
		return pattern{enc: encAES}, true
	case "AESGCM":
		return pattern{enc: encAESGCM}, true
	case "AESCCM":
		return pattern{enc: encAESCCM}, true
	case "AESCCM8":
		return pattern{enc: encAES128CCM8 | encAES256CCM8}, true
	case "CAMELLIA128":
		return pattern{enc: encCamellia128}, true
	case "CAMELLIA256":
		return pattern{enc: encCamellia256}, true
	case "CAMELLIA":
		return pattern{enc: encCamellia128 | encCamellia256}, true
	case "CHACHA20":
		return pattern{enc: encChaCha20}, true
	case "ARIA", "ARIAGCM":
		return pattern{enc: encARIAGCM}, true
	case "ARIA128":
		return pattern{enc: encARIA128GCM}, true
	case "ARIA256":
		return pattern{enc: encARIA256GCM}, true
	case "CBC":
		return pattern{enc: encCBC}, true

	// MACs.
	case "MD5":
		return pattern{mac: macMD5}, true
	case "SHA1", "SHA":
		return pattern{mac: macSHA1}, true
	case "GOST94":
		return pattern{mac: macGOST94}, true
	case "GOST89MAC":
		return pattern{mac: macGOST89 | macGOST89MAC12}, true
	case "SHA256":
		return pattern{mac: macSHA256}, true
	case "SHA384":
		return pattern{mac: macSHA384}, true
	case "GOST12":
		return pattern{mac: macGOST12}, true

	// Protocol versions: a suite matches when OpenSSL's minimum version for
	// it is exactly this one, so TLSv1.2 means "needs TLS 1.2", and the RSA
	// CBC-SHA suites are SSLv3, not TLSv1. OpenSSL has no TLSv1.1 alias.
	case "SSLv3":
		return pattern{minVersion: versionSSL3}, true
	case "TLSv1", "TLSv1.0":
		return pattern{minVersion: versionTLS10}, true
	case "TLSv1.2":
		return pattern{minVersion: versionTLS12}, true

	// Strength classes; FIPS also excludes eNULL.
	case "LOW":
		return pattern{strength: strengthLow}, true
	case "MEDIUM":
		return pattern{strength: strengthMedium}, true
	case "HIGH":
		return pattern{strength: strengthHigh}, true
	case "FIPS":
		return pattern{enc: ^encNULL, strength: strengthFIPS}, true
	}
	return pattern{}, false
}
