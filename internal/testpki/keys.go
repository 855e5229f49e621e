package testpki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"sync"
	"testing"
)

// KeyType selects the key algorithm (and size) of a certificate.
type KeyType int

const (
	ECDSA     KeyType = iota // ECDSA P-256, the default: fast to generate
	RSA                      // RSA 2048, drawn from a process-wide cache
	Ed25519                  // Ed25519
	RSA1024                  // RSA 1024 (80 security bits: OpenSSL level 1 only), cached
	RSA3072                  // RSA 3072 (128 security bits), cached
	ECDSAP384                // ECDSA P-384 (192 security bits: OpenSSL level 4)
)

func (k KeyType) String() string {
	switch k {
	case RSA:
		return "RSA"
	case RSA1024:
		return "RSA1024"
	case RSA3072:
		return "RSA3072"
	case Ed25519:
		return "Ed25519"
	case ECDSAP384:
		return "ECDSAP384"
	default:
		return "ECDSA"
	}
}

// IsRSA reports whether k is an RSA key of any size.
func (k KeyType) IsRSA() bool { return k == RSA || k == RSA1024 || k == RSA3072 }

// rsaPool caches RSA keys of one size for the whole test binary:
// generating a 2048-bit key takes long enough to dominate a test, a
// 3072-bit one far longer. Keys are handed out round-robin so that
// consecutive certificates of one chain get distinct keys.
type rsaPool struct {
	sync.Mutex
	bits, size int
	keys       []*rsa.PrivateKey
	next       int
}

var rsaPools = map[KeyType]*rsaPool{
	RSA:     {bits: 2048, size: 8},
	RSA1024: {bits: 1024, size: 4},
	RSA3072: {bits: 3072, size: 2},
}

func (p *rsaPool) key(tb testing.TB) *rsa.PrivateKey {
	p.Lock()
	defer p.Unlock()
	i := p.next % p.size
	p.next++
	if i < len(p.keys) {
		return p.keys[i]
	}
	k, err := rsa.GenerateKey(rand.Reader, p.bits)
	if err != nil {
		tb.Fatalf("testpki: generate RSA %d key: %v", p.bits, err)
	}
	p.keys = append(p.keys, k)
	return k
}

// NewKey returns a fresh private key of type k (RSA keys come from a cache).
func NewKey(tb testing.TB, k KeyType) crypto.Signer {
	tb.Helper()
	if p := rsaPools[k]; p != nil {
		return p.key(tb)
	}
	switch k {
	case Ed25519:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			tb.Fatalf("testpki: generate Ed25519 key: %v", err)
		}
		return priv
	default:
		curve := elliptic.P256()
		if k == ECDSAP384 {
			curve = elliptic.P384()
		}
		priv, err := ecdsa.GenerateKey(curve, rand.Reader)
		if err != nil {
			tb.Fatalf("testpki: generate ECDSA key: %v", err)
		}
		return priv
	}
}
