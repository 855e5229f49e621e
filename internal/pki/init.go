package pki

import (
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"path/filepath"
	"time"
)

// InitOptions configure a new CA.
type InitOptions struct {
	Key   KeyAlgorithm
	Org   string // organization in every subject; DefaultOrg when ""
	Days  int    // validity of the root and the intermediate; DefaultCADays when 0
	Force bool   // replace an existing CA (what it issued stops verifying)
}

// Init creates a root CA and an intermediate CA in dir, an empty index and
// current CRLs, and returns the opened CA.
func Init(dir string, o InitOptions, env Env) (*CA, error) {
	if err := o.Key.validate(); err != nil {
		return nil, err
	}
	if o.Org == "" {
		o.Org = DefaultOrg
	}
	if o.Days == 0 {
		o.Days = DefaultCADays
	}
	if o.Days < 1 {
		return nil, fmt.Errorf("days must be positive, not %d", o.Days)
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if !o.Force {
		for _, f := range []string{IndexFile, RootCertFile, IntermediateCertFile, RootKeyFile, IntermediateKeyFile} {
			if p := filepath.Join(dir, f); exists(p) {
				return nil, fmt.Errorf("%s: %w", p, ErrExists)
			}
		}
	}
	if err := mkdirs(dir); err != nil {
		return nil, err
	}
	ca := &CA{Dir: dir, env: env, index: &index{Key: o.Key, Org: o.Org, CRLDays: DefaultCRLDays}}
	now := env.now()
	notAfter := now.Add(time.Duration(o.Days) * 24 * time.Hour)

	if ca.rootKey, err = o.Key.generate(env.rand()); err != nil {
		return nil, fmt.Errorf("generate root key: %w", err)
	}
	root := caTemplate(o.Org+" Root CA", o.Org, now, notAfter)
	// The root may sign one level of CAs below it: the intermediate.
	root.MaxPathLen = 1
	if ca.Root, err = ca.sign(root, root, ca.rootKey.Public(), ca.rootKey); err != nil {
		return nil, fmt.Errorf("create root CA: %w", err)
	}
	if ca.interKey, err = o.Key.generate(env.rand()); err != nil {
		return nil, fmt.Errorf("generate intermediate key: %w", err)
	}
	inter := caTemplate(o.Org+" Intermediate CA", o.Org, now, notAfter)
	// The intermediate signs leaves only.
	inter.MaxPathLen, inter.MaxPathLenZero = 0, true
	if ca.Intermediate, err = ca.sign(inter, ca.Root, ca.interKey.Public(), ca.rootKey); err != nil {
		return nil, fmt.Errorf("create intermediate CA: %w", err)
	}

	// Keys first: whoever sees a new certificate finds its key in place.
	for _, w := range []struct {
		name string
		key  crypto.Signer
	}{{RootKeyFile, ca.rootKey}, {IntermediateKeyFile, ca.interKey}} {
		b, err := encodeKey(w.key, nil)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", ca.Path(w.name), err)
		}
		if err := writeFile(ca.Path(w.name), b, keyMode); err != nil {
			return nil, err
		}
	}
	if err := writeFile(ca.Path(RootCertFile), certPEM(ca.Root), publicMode); err != nil {
		return nil, err
	}
	if err := writeFile(ca.Path(IntermediateCertFile), certPEM(ca.Intermediate), publicMode); err != nil {
		return nil, err
	}
	if err := ca.writeCRL(); err != nil {
		return nil, err
	}
	return ca, ca.index.save(dir)
}

func caTemplate(cn, org string, now, notAfter time.Time) *x509.Certificate {
	return &x509.Certificate{
		Subject:               pkix.Name{CommonName: cn, Organization: []string{org}},
		NotBefore:             now.Add(-backdate),
		NotAfter:              notAfter,
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
}

// sign gives tmpl a fresh serial number and signs it with the parent's
// key. crypto/x509 adds the subject key identifier of a CA and the
// authority key identifier from the parent, which OpenSSL uses to pick
// issuers and CRLs.
func (ca *CA) sign(tmpl, parent *x509.Certificate, pub crypto.PublicKey, key crypto.Signer) (*x509.Certificate, error) {
	sn, err := ca.env.serial()
	if err != nil {
		return nil, err
	}
	tmpl.SerialNumber = sn
	der, err := x509.CreateCertificate(ca.env.rand(), tmpl, parent, pub, key)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(der)
}
