package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/testpki"
)

// replaceMode is one way certificates are put in place on a live system.
type replaceMode int

const (
	byRename  replaceMode = iota // write a temporary file, rename it over the old one
	bySymlink                    // Kubernetes: swap the "..data" link to a new directory
	inPlace                      // truncate and write the same file
)

func (m replaceMode) String() string {
	return [...]string{"rename", "symlink swap", "in place"}[m]
}

// certDir holds files the way m replaces them. For bySymlink, every name
// is a link "name -> ..data/name" and "..data" links to a versioned
// directory, as the kubelet writes secrets.
type certDir struct {
	t       *testing.T
	dir     string
	mode    replaceMode
	version int
}

func newCertDir(t *testing.T, mode replaceMode) *certDir {
	return &certDir{t: t, dir: t.TempDir(), mode: mode}
}

func (d *certDir) path(name string) string { return filepath.Join(d.dir, name) }

// write puts files (name -> contents) in place at once, as one update.
func (d *certDir) write(files map[string][]byte) {
	t := d.t
	t.Helper()
	switch d.mode {
	case bySymlink:
		d.version++
		ver := filepath.Join(d.dir, "..v"+strconv.Itoa(d.version))
		if err := os.Mkdir(ver, 0o700); err != nil {
			t.Fatal(err)
		}
		for name, data := range files {
			if err := os.WriteFile(filepath.Join(ver, name), data, 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Lstat(d.path(name)); err != nil {
				must(t, os.Symlink(filepath.Join("..data", name), d.path(name)))
			}
		}
		tmp := d.path("..data_tmp")
		must(t, os.Symlink(filepath.Base(ver), tmp))
		must(t, os.Rename(tmp, d.path("..data")))
	case byRename:
		for name, data := range files {
			tmp := d.path("." + name + ".tmp")
			must(t, os.WriteFile(tmp, data, 0o600))
			must(t, os.Rename(tmp, d.path(name)))
		}
	default:
		for name, data := range files {
			f, err := os.OpenFile(d.path(name), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
			must(t, err)
			_, err = f.Write(data)
			must(t, err)
			must(t, f.Close())
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

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
func settingsIn(d *certDir) config.ProxySSL {
	s := verifying(d.path("ca.crt"), 1)
	s.Certificate, s.CertificateKey, s.CRL = d.path("client.crt"), d.path("client.key"), d.path("crl.pem")
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
