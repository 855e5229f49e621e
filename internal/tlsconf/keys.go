package tlsconf

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/youmark/pkcs8"
)

// loadKeyPair loads proxy_ssl_certificate (leaf then intermediates) and
// proxy_ssl_certificate_key, decrypting the key with the passphrases of
// proxy_ssl_password_file when needed, and checks that they belong
// together.
func loadKeyPair(certPath, keyPath, passwordPath string) (*tls.Certificate, error) {
	return loadKeyPairFor("proxy_ssl", certPath, keyPath, passwordPath)
}

// loadKeyPairFor is loadKeyPair for the directives named prefix+"_..."
// (proxy_ssl for upstreams, ssl for listen ... ssl). A path may be
// "data:" followed by the PEM text; errors then never show the text.
func loadKeyPairFor(prefix, certPath, keyPath, passwordPath string) (*tls.Certificate, error) {
	if keyPath == "" {
		return nil, about(fmt.Errorf("no \"%s_certificate_key\" is defined for certificate %q", prefix, shown(certPath)), certificatePos)
	}
	certs, err := loadCertificates("certificate", certPath)
	if err != nil {
		return nil, about(err, certificatePos)
	}
	var passwords [][]byte
	if passwordPath != "" {
		if passwords, err = readPasswords(passwordPath); err != nil {
			return nil, about(err, passwordPos)
		}
	}
	data, err := readFile(keyPath)
	if err != nil {
		return nil, about(fmt.Errorf("cannot load certificate key %q: %w", shown(keyPath), err), keyPos)
	}
	key, err := parseKey(data, passwords, prefix)
	if err != nil {
		// A wrong passphrase is reported here too: it is the key that
		// cannot be loaded.
		return nil, about(fmt.Errorf("cannot load certificate key %q: PEM_read_bio_PrivateKey() failed (%w)", shown(keyPath), err), keyPos)
	}
	pub, ok := certs[0].PublicKey.(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(key.Public()) {
		return nil, about(fmt.Errorf("SSL_CTX_use_PrivateKey(%q) failed (key values mismatch) for certificate %q", shown(keyPath), shown(certPath)), keyPos)
	}
	c := &tls.Certificate{PrivateKey: key, Leaf: certs[0]}
	for _, x := range certs {
		c.Certificate = append(c.Certificate, x.Raw)
	}
	return c, nil
}

// parseKey finds the first private key block and decodes it, trying each
// passphrase in order for encrypted keys. Errors never carry a passphrase
// or key bytes.
func parseKey(data []byte, passwords [][]byte, prefix string) (crypto.Signer, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, errors.New("no PEM private key found")
		}
		switch {
		case block.Type == "ENCRYPTED PRIVATE KEY":
			return tryPasswords(passwords, prefix, func(pw []byte) (any, error) {
				k, _, err := pkcs8.ParsePrivateKey(block.Bytes, pw)
				return k, err
			})
		case block.Headers["Proc-Type"] == "4,ENCRYPTED":
			return tryPasswords(passwords, prefix, func(pw []byte) (any, error) {
				// Deprecated because the format has no integrity check, yet
				// legacy encrypted keys are still common in nginx setups.
				der, err := x509.DecryptPEMBlock(block, pw)
				if err != nil {
					return nil, err
				}
				return parseDER(block.Type, der)
			})
		case block.Type == "PRIVATE KEY" || block.Type == "RSA PRIVATE KEY" || block.Type == "EC PRIVATE KEY":
			k, err := parseDER(block.Type, block.Bytes)
			if err != nil {
				return nil, err
			}
			return signer(k)
		}
	}
}

func parseDER(typ string, der []byte) (any, error) {
	switch typ {
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(der)
	case "EC PRIVATE KEY":
		return x509.ParseECPrivateKey(der)
	default:
		return x509.ParsePKCS8PrivateKey(der)
	}
}

func tryPasswords(passwords [][]byte, prefix string, decrypt func([]byte) (any, error)) (crypto.Signer, error) {
	if len(passwords) == 0 {
		return nil, fmt.Errorf("the key is encrypted and no %s_password_file is set", prefix)
	}
	for _, pw := range passwords {
		if k, err := decrypt(pw); err == nil {
			return signer(k)
		}
	}
	return nil, fmt.Errorf("bad decrypt: none of the %d passphrases of %s_password_file fits", len(passwords), prefix)
}

func signer(k any) (crypto.Signer, error) {
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("unsupported private key type %T", k)
	}
	return s, nil
}
