package testpki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/youmark/pkcs8"
)

// KeyFormat is how a private key is written to a PEM file.
type KeyFormat int

const (
	PKCS8           KeyFormat = iota // "PRIVATE KEY", any key type
	PKCS1                            // "RSA PRIVATE KEY", RSA only
	SEC1                             // "EC PRIVATE KEY", ECDSA only
	PKCS8Encrypted                   // "ENCRYPTED PRIVATE KEY", PBES2 (PBKDF2-SHA256, AES-256-CBC) as OpenSSL 3 writes it
	LegacyEncrypted                  // PKCS#1 or SEC1 with "Proc-Type: 4,ENCRYPTED" (AES-256-CBC)
)

// PEMCerts encodes certificates as concatenated PEM blocks.
func PEMCerts(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

// PEMKey encodes key in format f; password is used by the encrypted
// formats only.
func PEMKey(tb testing.TB, key crypto.Signer, f KeyFormat, password string) []byte {
	tb.Helper()
	var block *pem.Block
	var err error
	switch f {
	case PKCS1, SEC1, LegacyEncrypted:
		block = traditionalBlock(tb, key)
		if f == LegacyEncrypted {
			// Deprecated in Go, but legacy encrypted PEM is still what many
			// nginx setups hold, so readers of it must be tested.
			block, err = x509.EncryptPEMBlock(rand.Reader, block.Type, block.Bytes, []byte(password), x509.PEMCipherAES256)
		}
	case PKCS8Encrypted:
		var der []byte
		der, err = pkcs8.MarshalPrivateKey(key, []byte(password), nil)
		block = &pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: der}
	default:
		var der []byte
		der, err = x509.MarshalPKCS8PrivateKey(key)
		block = &pem.Block{Type: "PRIVATE KEY", Bytes: der}
	}
	if err != nil {
		tb.Fatalf("testpki: encode key: %v", err)
	}
	return pem.EncodeToMemory(block)
}

// traditionalBlock is the pre-PKCS#8 encoding: PKCS#1 for RSA, SEC1 for
// ECDSA. Ed25519 has none, so it falls back to PKCS#8.
func traditionalBlock(tb testing.TB, key crypto.Signer) *pem.Block {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}
	case *ecdsa.PrivateKey:
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			tb.Fatalf("testpki: encode EC key: %v", err)
		}
		return &pem.Block{Type: "EC PRIVATE KEY", Bytes: der}
	default:
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			tb.Fatalf("testpki: encode key: %v", err)
		}
		return &pem.Block{Type: "PRIVATE KEY", Bytes: der}
	}
}

// WriteFile writes data to dir/name (mode 0600) and returns the path.
func WriteFile(tb testing.TB, dir, name string, data []byte) string {
	tb.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		tb.Fatalf("testpki: %v", err)
	}
	return p
}

// WriteCerts writes certificates as PEM to dir/name and returns the path.
func WriteCerts(tb testing.TB, dir, name string, certs ...*x509.Certificate) string {
	tb.Helper()
	return WriteFile(tb, dir, name, PEMCerts(certs...))
}

// WriteKey writes key in format f to dir/name and returns the path.
func WriteKey(tb testing.TB, dir, name string, key crypto.Signer, f KeyFormat, password string) string {
	tb.Helper()
	return WriteFile(tb, dir, name, PEMKey(tb, key, f, password))
}

// WriteLeaf writes the leaf followed by its intermediates to dir/name.crt
// and its PKCS#8 key to dir/name.key, and returns both paths.
func WriteLeaf(tb testing.TB, dir, name string, l *Leaf) (certPath, keyPath string) {
	tb.Helper()
	return WriteCerts(tb, dir, name+".crt", l.Chain()...), WriteKey(tb, dir, name+".key", l.Key, PKCS8, "")
}
