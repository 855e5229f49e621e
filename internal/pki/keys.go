package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/youmark/pkcs8"
)

// KeyAlgorithm is the key type of a CA and of everything it issues. The
// zero value is ECDSA P-256: 128-bit security (OpenSSL security level 3),
// small certificates and fast handshakes.
type KeyAlgorithm struct {
	RSABits int // 0 for ECDSA P-256; else 2048, 3072 or 4096
}

// DefaultRSABits is the size `--rsa` picks without a number: the RSA size
// with P-256's strength.
const DefaultRSABits = 3072

func (k KeyAlgorithm) String() string {
	if k.RSABits == 0 {
		return "ecdsa-p256"
	}
	return "rsa-" + strconv.Itoa(k.RSABits)
}

// ParseKeyAlgorithm reads what String writes.
func ParseKeyAlgorithm(s string) (KeyAlgorithm, error) {
	if s == "ecdsa-p256" {
		return KeyAlgorithm{}, nil
	}
	if bits, ok := strings.CutPrefix(s, "rsa-"); ok {
		n, err := strconv.Atoi(bits)
		if err == nil {
			k := KeyAlgorithm{RSABits: n}
			return k, k.validate()
		}
	}
	return KeyAlgorithm{}, fmt.Errorf("unknown key algorithm %q", s)
}

func (k KeyAlgorithm) validate() error {
	switch k.RSABits {
	case 0, 2048, 3072, 4096:
		return nil
	}
	// Below 2048 bits fails OpenSSL's (and strait's) default security
	// level 2; above 4096 only slows every handshake.
	return fmt.Errorf("RSA keys must have 2048, 3072 or 4096 bits, not %d", k.RSABits)
}

// generate makes a new private key. Since Go 1.26 the crypto packages draw
// key material from the system's generator whatever reader they are given,
// so r only matters to tests that set cryptotest's global source.
func (k KeyAlgorithm) generate(r io.Reader) (crypto.Signer, error) {
	if k.RSABits != 0 {
		return rsa.GenerateKey(r, k.RSABits)
	}
	return ecdsa.GenerateKey(elliptic.P256(), r)
}

// encryptionOpts is how encrypted keys are written: PKCS#8 PBES2 with
// PBKDF2-HMAC-SHA256 and AES-256-CBC, what `openssl pkey -aes256` writes
// in OpenSSL 3, so that nginx, OpenSSL and strait's proxy_ssl_password_file
// all read it. The iteration count is OWASP's 2023 figure for PBKDF2-SHA256
// rather than OpenSSL's 2048: the key is decrypted once per (re)load, so
// the cost falls on an attacker, not on traffic.
func encryptionOpts() *pkcs8.Opts {
	return &pkcs8.Opts{
		Cipher: pkcs8.AES256CBC,
		KDFOpts: pkcs8.PBKDF2Opts{
			SaltSize:       16,
			IterationCount: 600000,
			HMACHash:       crypto.SHA256,
		},
	}
}

// encodeKey returns key as PEM PKCS#8, encrypted when password is not
// empty.
func encodeKey(key crypto.Signer, password []byte) ([]byte, error) {
	if len(password) == 0 {
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, err
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
	}
	der, err := pkcs8.MarshalPrivateKey(key, password, encryptionOpts())
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: der}), nil
}

// decodeKey reads a PEM private key written by encodeKey. Errors never
// include key bytes or the password.
func decodeKey(data, password []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM private key found")
	}
	var k any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		k, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "ENCRYPTED PRIVATE KEY":
		if len(password) == 0 {
			return nil, errors.New("the key is encrypted and no password file was given")
		}
		if k, _, err = pkcs8.ParsePrivateKey(block.Bytes, password); err != nil {
			return nil, errors.New("the password does not decrypt the key")
		}
	default:
		return nil, fmt.Errorf("unexpected PEM block %q", block.Type)
	}
	if err != nil {
		return nil, err
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("unsupported private key type %T", k)
	}
	return s, nil
}

// samePublicKey reports whether cert carries key's public half.
func samePublicKey(cert *x509.Certificate, key crypto.Signer) bool {
	pub, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	return ok && pub.Equal(key.Public())
}
