package pki

import (
	"crypto"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"time"
)

// Request asks for a leaf certificate.
type Request struct {
	Kind Kind
	Name string // subject CN and file names NAME.crt, NAME.key
	// SANs are DNS names and IP addresses of a server; when empty, Name
	// is the only one. Client certificates carry none.
	SANs []string
	Days int // DefaultLeafDays when 0
	// Password, when not empty, encrypts NAME.key (for
	// proxy_ssl_password_file).
	Password []byte
	// Force overwrites NAME.crt and NAME.key that this CA did not issue.
	Force bool
}

// Issued is a leaf certificate just written.
type Issued struct {
	Record
	Cert              *x509.Certificate
	Key               crypto.Signer
	Chain             []*x509.Certificate // leaf, intermediate: NAME.crt
	CertFile, KeyFile string
}

// TLSCertificate returns the chain and key for crypto/tls.
func (is *Issued) TLSCertificate() tls.Certificate {
	c := tls.Certificate{PrivateKey: is.Key, Leaf: is.Cert}
	for _, x := range is.Chain {
		c.Certificate = append(c.Certificate, x.Raw)
	}
	return c
}

// Issue signs a new leaf certificate with a new key and writes NAME.crt
// and NAME.key. A name whose current certificate is neither revoked nor
// expired is refused: renew it, or revoke it first.
func (ca *CA) Issue(r Request) (*Issued, error) {
	if err := checkName(r.Name); err != nil {
		return nil, err
	}
	if r.Kind != Server && r.Kind != Client {
		return nil, fmt.Errorf("unknown certificate kind %q (server or client)", r.Kind)
	}
	now := ca.env.now()
	if i := ca.index.current(r.Name); i >= 0 {
		if rec := ca.index.Records[i]; rec.Status(now, true) == "valid" {
			return nil, fmt.Errorf("%s: already issued (serial %s, valid until %s): renew or revoke it",
				r.Name, rec.Serial, rec.NotAfter.Format(time.DateOnly))
		}
	} else if !r.Force {
		for _, p := range []string{ca.Path(r.Name + ".crt"), ca.Path(r.Name + ".key")} {
			if exists(p) {
				return nil, fmt.Errorf("%s exists and was not issued by this CA (use --force to overwrite it)", p)
			}
		}
	}
	sans := r.SANs
	switch {
	case r.Kind == Client && len(sans) > 0:
		return nil, fmt.Errorf("%s: client certificates carry no subject alternative names", r.Name)
	case r.Kind == Server && len(sans) == 0:
		if net.ParseIP(r.Name) == nil && !validDNSName(r.Name) {
			return nil, fmt.Errorf("%s: not a host name; give the server's names with --san", r.Name)
		}
		sans = []string{r.Name}
	}
	key, err := ca.index.Key.generate(ca.env.rand())
	if err != nil {
		return nil, fmt.Errorf("generate key for %s: %w", r.Name, err)
	}
	return ca.issueWithKey(r, sans, key)
}

// Renew issues NAME's certificate again with a new key, the same kind and
// SANs, and a fresh validity; days 0 keeps the length of the current one.
// The previous certificate is not revoked: it stays valid until it
// expires, so that proxies and upstreams can switch over at their own
// pace. A new key (rather than the same one) because renewal is the
// routine moment to rotate keys, and because a key that might have leaked
// should not outlive its certificate. An encrypted key is encrypted again,
// with password.
func (ca *CA) Renew(name string, days int, password []byte) (*Issued, error) {
	i := ca.index.current(name)
	if i < 0 {
		return nil, fmt.Errorf("%s: nothing issued under this name", name)
	}
	rec := ca.index.Records[i]
	if rec.Revoked != nil {
		return nil, fmt.Errorf("%s: revoked; issue a new certificate instead", name)
	}
	if rec.Encrypted && len(password) == 0 {
		return nil, fmt.Errorf("%s: its key is encrypted: give the password file to encrypt the new key", name)
	}
	if days == 0 {
		days = int(rec.NotAfter.Sub(rec.NotBefore.Add(backdate)).Hours()/24 + 0.5)
	}
	key, err := ca.index.Key.generate(ca.env.rand())
	if err != nil {
		return nil, fmt.Errorf("generate key for %s: %w", name, err)
	}
	r := Request{Kind: rec.Kind, Name: name, Days: days, Password: password}
	if !rec.Encrypted {
		r.Password = nil
	}
	return ca.issueWithKey(r, rec.SANs, key)
}

func (ca *CA) issueWithKey(r Request, sans []string, key crypto.Signer) (*Issued, error) {
	if r.Days == 0 {
		r.Days = DefaultLeafDays
	}
	if r.Days < 1 {
		return nil, fmt.Errorf("days must be positive, not %d", r.Days)
	}
	now := ca.env.now()
	notAfter := now.Add(time.Duration(r.Days) * 24 * time.Hour)
	if notAfter.After(ca.Intermediate.NotAfter) {
		// A leaf outliving its issuer would fail verification early, with
		// an error about the intermediate that nobody expects.
		return nil, fmt.Errorf("%s: %d days would outlive the intermediate CA (valid until %s)",
			r.Name, r.Days, ca.Intermediate.NotAfter.Format(time.DateOnly))
	}
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: r.Name, Organization: []string{ca.index.Org}},
		NotBefore:             now.Add(-backdate),
		NotAfter:              notAfter,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if r.Kind == Server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		if _, ok := key.(*rsa.PrivateKey); ok {
			// TLS 1.2's RSA key exchange ("HIGH" includes it) encrypts
			// to the server's key; OpenSSL clients check this bit.
			tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
		}
		var err error
		if tmpl.DNSNames, tmpl.IPAddresses, err = parseSANs(sans); err != nil {
			return nil, fmt.Errorf("%s: %w", r.Name, err)
		}
	}
	cert, err := ca.sign(tmpl, ca.Intermediate, key.Public(), ca.interKey)
	if err != nil {
		return nil, fmt.Errorf("sign %s: %w", r.Name, err)
	}
	is := &Issued{
		Record: Record{Name: r.Name, Kind: r.Kind, Serial: fmt.Sprintf("%X", cert.SerialNumber.Bytes()),
			NotBefore: cert.NotBefore, NotAfter: cert.NotAfter, Encrypted: len(r.Password) > 0},
		Cert: cert, Key: key, Chain: []*x509.Certificate{cert, ca.Intermediate},
		CertFile: ca.Path(r.Name + ".crt"), KeyFile: ca.Path(r.Name + ".key"),
	}
	if r.Kind == Server {
		is.SANs = sans
	}
	keyPEM, err := encodeKey(key, r.Password)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", is.KeyFile, err)
	}
	// Key first: a watcher that sees the new certificate finds its key.
	if err := writeFile(is.KeyFile, keyPEM, keyMode); err != nil {
		return nil, err
	}
	if err := writeFile(is.CertFile, certPEM(is.Chain...), publicMode); err != nil {
		return nil, err
	}
	ca.index.Records = append(ca.index.Records, is.Record)
	return is, ca.index.save(ca.Dir)
}
