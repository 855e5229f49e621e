package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"math/big"
	"sync"
	"testing"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/testpki"
)

// pkiFiles are the contents of one set of proxy_ssl files.
func pkiFiles(t *testing.T, client *testpki.Leaf, cas []*x509.Certificate, crls ...[]byte) map[string][]byte {
	var crl []byte
	for _, c := range crls {
		crl = append(crl, c...)
	}
	return map[string][]byte{
		"client.crt": testpki.PEMCerts(client.Chain()...),
		"client.key": testpki.PEMKey(t, client.Key, testpki.PKCS8, ""),
		"ca.crt":     testpki.PEMCerts(cas...),
		"crl.pem":    crl,
	}
}

// settingsIn names the files of d as a verifying profile with a client
// certificate and a CRL.
func settingsIn(d *testpki.FileDir) config.ProxySSL {
	s := verifying(d.Path("ca.crt"), 1)
	s.Certificate, s.CertificateKey, s.CRL = d.Path("client.crt"), d.Path("client.key"), d.Path("crl.pem")
	return s
}

// mtlsServer returns a server config requiring a client certificate
// from any of roots, recording the serial of every client certificate it
// sees (on resumed sessions too: VerifyConnection runs on those).
func mtlsServer(leaf *testpki.Leaf, seen *serials, roots ...*x509.Certificate) *tls.Config {
	pool := x509.NewCertPool()
	for _, r := range roots {
		pool.AddCert(r)
	}
	cfg := serverConfig(leaf)
	cfg.ClientAuth = tls.RequireAndVerifyClientCert
	cfg.ClientCAs = pool
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		seen.add(cs.PeerCertificates[0].SerialNumber)
		return nil
	}
	return cfg
}

type serials struct {
	mu  sync.Mutex
	all []*big.Int
}

func (s *serials) add(n *big.Int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.all = append(s.all, n)
}

func (s *serials) last() *big.Int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.all) == 0 {
		return nil
	}
	return s.all[len(s.all)-1]
}
