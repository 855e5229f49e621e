package cipherlist

import "fmt"

// Suite describes one TLS 1.0-1.2 cipher suite that crypto/tls implements,
// in OpenSSL's terms (the columns of `openssl ciphers -v`).
type Suite struct {
	ID       uint16 // IANA identifier, as in crypto/tls
	Name     string // OpenSSL name, e.g. "ECDHE-RSA-AES128-GCM-SHA256"
	IANAName string // RFC name, as tls.CipherSuiteName returns it

	Kx  string // key exchange: "RSA" or "ECDH" (ephemeral ECDH)
	Au  string // authentication: "RSA" or "ECDSA"
	Enc string // bulk cipher: "AESGCM", "AES", "CHACHA20/POLY1305", "3DES", "RC4"
	Mac string // "AEAD", "SHA1" or "SHA256"

	KeyBits      int    // cipher key size OpenSSL prints, e.g. 168 for 3DES
	StrengthBits int    // security strength, used by @STRENGTH and @SECLEVEL
	Class        string // OpenSSL strength class: "HIGH" or "MEDIUM"

	// MinVersion is the lowest protocol version OpenSSL assigns the suite
	// (0x0300, SSLv3, for the RSA CBC-SHA suites); the TLSv1, SSLv3 and
	// TLSv1.2 keywords select on it.
	MinVersion uint16

	// Weak marks RC4 and 3DES suites: OpenSSL 3.0 compiles them only with
	// enable-weak-ssl-ciphers, so Evaluate never selects them.
	Weak bool
}

// entry is a Suite with the bit sets the rule engine matches on.
type entry struct {
	Suite
	kx, auth, enc, mac, strength uint32
}

// catalogSize is the number of TLS 1.0-1.2 suites crypto/tls implements.
const catalogSize = 22

// catalog lists Go's suites in OpenSSL's internal order (ascending ID),
// which is where ties in its preference rules fall back to. It returns an
// array so callers get their own copy without a heap allocation.
func catalog() [catalogSize]entry {
	const (
		high   = strengthHigh | strengthFIPS
		medium = strengthMedium | strengthNotDefault
	)
	return [catalogSize]entry{
		{rsa(0x0005, "RC4-SHA", "TLS_RSA_WITH_RC4_128_SHA", "RC4", "SHA1", 128, 128, versionSSL3, true), kRSA, aRSA, encRC4, macSHA1, medium},
		{rsa(0x000A, "DES-CBC3-SHA", "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "3DES", "SHA1", 168, 112, versionSSL3, true), kRSA, aRSA, enc3DES, macSHA1, medium | strengthFIPS},
		{rsa(0x002F, "AES128-SHA", "TLS_RSA_WITH_AES_128_CBC_SHA", "AES", "SHA1", 128, 128, versionSSL3, false), kRSA, aRSA, encAES128, macSHA1, high},
		{rsa(0x0035, "AES256-SHA", "TLS_RSA_WITH_AES_256_CBC_SHA", "AES", "SHA1", 256, 256, versionSSL3, false), kRSA, aRSA, encAES256, macSHA1, high},
		{rsa(0x003C, "AES128-SHA256", "TLS_RSA_WITH_AES_128_CBC_SHA256", "AES", "SHA256", 128, 128, versionTLS12, false), kRSA, aRSA, encAES128, macSHA256, high},
		{rsa(0x009C, "AES128-GCM-SHA256", "TLS_RSA_WITH_AES_128_GCM_SHA256", "AESGCM", "AEAD", 128, 128, versionTLS12, false), kRSA, aRSA, encAES128GCM, macAEAD, high},
		{rsa(0x009D, "AES256-GCM-SHA384", "TLS_RSA_WITH_AES_256_GCM_SHA384", "AESGCM", "AEAD", 256, 256, versionTLS12, false), kRSA, aRSA, encAES256GCM, macAEAD, high},
		{ecdhe(0xC007, "ECDHE-ECDSA-RC4-SHA", "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", "ECDSA", "RC4", "SHA1", 128, 128, versionTLS10, true), kECDHE, aECDSA, encRC4, macSHA1, medium},
		{ecdhe(0xC009, "ECDHE-ECDSA-AES128-SHA", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDSA", "AES", "SHA1", 128, 128, versionTLS10, false), kECDHE, aECDSA, encAES128, macSHA1, high},
		{ecdhe(0xC00A, "ECDHE-ECDSA-AES256-SHA", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDSA", "AES", "SHA1", 256, 256, versionTLS10, false), kECDHE, aECDSA, encAES256, macSHA1, high},
		{ecdhe(0xC011, "ECDHE-RSA-RC4-SHA", "TLS_ECDHE_RSA_WITH_RC4_128_SHA", "RSA", "RC4", "SHA1", 128, 128, versionTLS10, true), kECDHE, aRSA, encRC4, macSHA1, medium},
		{ecdhe(0xC012, "ECDHE-RSA-DES-CBC3-SHA", "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "RSA", "3DES", "SHA1", 168, 112, versionTLS10, true), kECDHE, aRSA, enc3DES, macSHA1, medium | strengthFIPS},
		{ecdhe(0xC013, "ECDHE-RSA-AES128-SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "RSA", "AES", "SHA1", 128, 128, versionTLS10, false), kECDHE, aRSA, encAES128, macSHA1, high},
		{ecdhe(0xC014, "ECDHE-RSA-AES256-SHA", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "RSA", "AES", "SHA1", 256, 256, versionTLS10, false), kECDHE, aRSA, encAES256, macSHA1, high},
		{ecdhe(0xC023, "ECDHE-ECDSA-AES128-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", "ECDSA", "AES", "SHA256", 128, 128, versionTLS12, false), kECDHE, aECDSA, encAES128, macSHA256, high},
		{ecdhe(0xC027, "ECDHE-RSA-AES128-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "RSA", "AES", "SHA256", 128, 128, versionTLS12, false), kECDHE, aRSA, encAES128, macSHA256, high},
		{ecdhe(0xC02B, "ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDSA", "AESGCM", "AEAD", 128, 128, versionTLS12, false), kECDHE, aECDSA, encAES128GCM, macAEAD, high},
		{ecdhe(0xC02C, "ECDHE-ECDSA-AES256-GCM-SHA384", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDSA", "AESGCM", "AEAD", 256, 256, versionTLS12, false), kECDHE, aECDSA, encAES256GCM, macAEAD, high},
		{ecdhe(0xC02F, "ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "RSA", "AESGCM", "AEAD", 128, 128, versionTLS12, false), kECDHE, aRSA, encAES128GCM, macAEAD, high},
		{ecdhe(0xC030, "ECDHE-RSA-AES256-GCM-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "RSA", "AESGCM", "AEAD", 256, 256, versionTLS12, false), kECDHE, aRSA, encAES256GCM, macAEAD, high},
		// ChaCha20-Poly1305 is HIGH but not FIPS, which is why HIGH+FIPS
		// style tricks never select it.
		{ecdhe(0xCCA8, "ECDHE-RSA-CHACHA20-POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "RSA", "CHACHA20/POLY1305", "AEAD", 256, 256, versionTLS12, false), kECDHE, aRSA, encChaCha20, macAEAD, strengthHigh},
		{ecdhe(0xCCA9, "ECDHE-ECDSA-CHACHA20-POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDSA", "CHACHA20/POLY1305", "AEAD", 256, 256, versionTLS12, false), kECDHE, aECDSA, encChaCha20, macAEAD, strengthHigh},
	}
}

// rsa describes a suite with RSA key exchange and authentication.
func rsa(id uint16, name, iana, enc, mac string, keyBits, bits int, minVersion uint16, weak bool) Suite {
	return suite(id, name, iana, "RSA", "RSA", enc, mac, keyBits, bits, minVersion, weak)
}

// ecdhe describes a suite with ephemeral ECDH key exchange.
func ecdhe(id uint16, name, iana, au, enc, mac string, keyBits, bits int, minVersion uint16, weak bool) Suite {
	return suite(id, name, iana, "ECDH", au, enc, mac, keyBits, bits, minVersion, weak)
}

func suite(id uint16, name, iana, kx, au, enc, mac string, keyBits, bits int, minVersion uint16, weak bool) Suite {
	class := "HIGH"
	if weak {
		class = "MEDIUM"
	}
	return Suite{ID: id, Name: name, IANAName: iana, Kx: kx, Au: au, Enc: enc, Mac: mac,
		KeyBits: keyBits, StrengthBits: bits, Class: class, MinVersion: minVersion, Weak: weak}
}

// Suites returns every TLS 1.0-1.2 suite crypto/tls implements, including
// the weak ones Evaluate never selects, in ascending ID order.
func Suites() []Suite {
	all := catalog()
	out := make([]Suite, len(all))
	for i := range all {
		out[i] = all[i].Suite
	}
	return out
}

// Name returns the OpenSSL name of a cipher suite, as nginx logs it: the
// OpenSSL name for TLS 1.0-1.2 suites, the RFC name for TLS 1.3 suites
// (OpenSSL uses those), and "0x%04X" for an identifier it does not know.
func Name(id uint16) string {
	switch id {
	case 0x1301:
		return "TLS_AES_128_GCM_SHA256"
	case 0x1302:
		return "TLS_AES_256_GCM_SHA384"
	case 0x1303:
		return "TLS_CHACHA20_POLY1305_SHA256"
	}
	all := catalog()
	for i := range all {
		if all[i].ID == id {
			return all[i].Name
		}
	}
	return fmt.Sprintf("0x%04X", id)
}
