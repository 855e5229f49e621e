package interop

import (
	"crypto/x509"
	"testing"

	"github.com/straitproxy/strait/internal/testpki"
)

// clientIdentity is strait's client certificate and the CA that issued
// it, which every upstream in these tests requires.
type clientIdentity struct {
	ca                *testpki.CA
	pool              *x509.CertPool // for Go peers
	caFile            string         // for external peers
	certFile, keyFile string         // for proxy_ssl_certificate(_key)
}

const clientSubject = "strait interop client"

func newClientIdentity(t testing.TB, dir string) *clientIdentity {
	t.Helper()
	return newClientIdentityKey(t, dir, testpki.ECDSA)
}

// newClientIdentityKey is newClientIdentity with keys of type k, for
// security levels where P-256 is too weak.
func newClientIdentityKey(t testing.TB, dir string, k testpki.KeyType) *clientIdentity {
	t.Helper()
	ca := testpki.NewRoot(t, testpki.Spec{Key: k, CommonName: "Interop Client CA"})
	leaf := ca.Issue(t, testpki.Spec{Key: k, CommonName: clientSubject, Client: true})
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	cert, key := testpki.WriteLeaf(t, dir, "client", leaf)
	return &clientIdentity{
		ca: ca, pool: pool, certFile: cert, keyFile: key,
		caFile: testpki.WriteCerts(t, dir, "client-ca.crt", ca.Cert),
	}
}

// directives are the proxy_ssl lines that make strait present the client
// certificate.
func (c *clientIdentity) directives() string {
	return "proxy_ssl_certificate " + c.certFile + "; proxy_ssl_certificate_key " + c.keyFile + ";\n"
}

// serverFiles writes a server leaf (with its intermediates), its key and
// the root that trusts it, and returns their paths.
func serverFiles(t testing.TB, dir, name string, chain *testpki.Chain) (cert, key, trusted string) {
	t.Helper()
	cert, key = testpki.WriteLeaf(t, dir, name, chain.Leaf)
	return cert, key, testpki.WriteCerts(t, dir, name+"-root.crt", chain.Root.Cert)
}
