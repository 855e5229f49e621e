// Package pki is strait's internal certificate authority, behind
// `strait pki`, `strait demo` and the benchmarks: a root CA and an
// intermediate CA in one directory, leaf certificates for upstream servers
// and for strait itself signed by the intermediate, renewal, revocation and
// the CRLs that proxy_ssl_crl needs, and an index of what was issued.
//
// The files are named so that the configuration of nginx's "Securing TCP
// Traffic to Upstream Servers" uses them unchanged: trusted_ca_cert.crt
// (the root) for proxy_ssl_trusted_certificate, NAME.crt (leaf then
// intermediate) and NAME.key for proxy_ssl_certificate(_key), and the chain
// root -> intermediate -> leaf fits proxy_ssl_verify_depth 2. The CA keys
// live in DIR/private, apart from what gets copied to proxies and upstreams.
package pki

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"time"
)

// The files of a CA directory.
const (
	RootCertFile         = "trusted_ca_cert.crt" // the root: proxy_ssl_trusted_certificate
	IntermediateCertFile = "intermediate_ca.crt"
	CRLFile              = "crl.pem" // root's and intermediate's CRLs: proxy_ssl_crl
	IndexFile            = "index.json"
	PrivateDir           = "private"
	RootKeyFile          = "private/root_ca.key"
	IntermediateKeyFile  = "private/intermediate_ca.key"
)

// Defaults, in days.
const (
	DefaultCADays   = 3650 // root and intermediate
	DefaultLeafDays = 365
	DefaultCRLDays  = 30
	DefaultOrg      = "strait"
)

// backdate starts every certificate's validity before now, so that a peer
// whose clock is a little behind the CA's still accepts it.
const backdate = time.Hour

// Env is where the CA reads time and randomness; zero fields mean the
// system's. Tests set them to make expiry and CRL currency checkable.
type Env struct {
	Now  func() time.Time
	Rand io.Reader // serial numbers (and keys, see KeyAlgorithm.generate)
}

func (e Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e Env) rand() io.Reader {
	if e.Rand != nil {
		return e.Rand
	}
	return rand.Reader
}

// serial returns a random positive 127-bit serial number: unpredictable,
// as CA/Browser Forum rules ask, and within RFC 5280's 20 octets.
func (e Env) serial() (*big.Int, error) {
	b := make([]byte, 16)
	if _, err := io.ReadFull(e.rand(), b); err != nil {
		return nil, fmt.Errorf("serial number: %w", err)
	}
	b[0] &= 0x7f
	n := new(big.Int).SetBytes(b)
	if n.Sign() == 0 {
		n.SetInt64(1)
	}
	return n, nil
}

// CA is an opened CA directory.
type CA struct {
	Dir          string
	Root         *x509.Certificate
	Intermediate *x509.Certificate
	rootKey      crypto.Signer
	interKey     crypto.Signer
	index        *index
	env          Env
	// crlNextUpdate is when the CRLs written by this value expire; zero
	// until it writes them.
	crlNextUpdate time.Time
}

// Path returns the absolute path of a file of the CA directory.
func (ca *CA) Path(name string) string { return filepath.Join(ca.Dir, name) }

// Key is the algorithm of the CA's keys and of the keys it generates.
func (ca *CA) Key() KeyAlgorithm { return ca.index.Key }

// Open loads the CA in dir.
func Open(dir string, env Env) (*CA, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if !exists(filepath.Join(dir, IndexFile)) {
		return nil, fmt.Errorf("%s: no CA here (run `strait pki init` first)", dir)
	}
	ca := &CA{Dir: dir, env: env}
	if ca.index, err = loadIndex(dir); err != nil {
		return nil, err
	}
	if ca.Root, ca.rootKey, err = loadPair(dir, RootCertFile, RootKeyFile); err != nil {
		return nil, err
	}
	if ca.Intermediate, ca.interKey, err = loadPair(dir, IntermediateCertFile, IntermediateKeyFile); err != nil {
		return nil, err
	}
	if err := ca.Intermediate.CheckSignatureFrom(ca.Root); err != nil {
		return nil, fmt.Errorf("%s: not signed by %s: %w", ca.Path(IntermediateCertFile), ca.Path(RootCertFile), err)
	}
	return ca, nil
}

// loadPair reads a CA certificate and its (unencrypted) key.
func loadPair(dir, certName, keyName string) (*x509.Certificate, crypto.Signer, error) {
	certPath, keyPath := filepath.Join(dir, certName), filepath.Join(dir, keyName)
	b, err := readFile(certPath)
	if err != nil {
		return nil, nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, nil, fmt.Errorf("read %s: no PEM certificate found", certPath)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", certPath, err)
	}
	if b, err = readFile(keyPath); err != nil {
		return nil, nil, err
	}
	key, err := decodeKey(b, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", keyPath, err)
	}
	if !samePublicKey(cert, key) {
		return nil, nil, fmt.Errorf("%s does not belong to %s", keyPath, certPath)
	}
	return cert, key, nil
}

// ErrExists is returned by Init when dir already holds a CA.
var ErrExists = errors.New("a CA already exists here (use --force to replace it and everything it issued)")

// certPEM encodes certificates as concatenated PEM blocks.
func certPEM(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

// mkdirs creates dir and dir/private with their modes.
func mkdirs(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, reason(err))
	}
	p := filepath.Join(dir, PrivateDir)
	if err := os.MkdirAll(p, privateDir); err != nil {
		return fmt.Errorf("create %s: %w", p, reason(err))
	}
	// MkdirAll leaves an existing directory's mode alone, and the umask
	// may have narrowed a new one: set it either way.
	if err := os.Chmod(p, privateDir); err != nil {
		return fmt.Errorf("chmod %s: %w", p, reason(err))
	}
	return nil
}
