package pki

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"
)

// crlBackdate starts a CRL's validity a little before now, so that a proxy
// whose clock is behind the CA's does not see a CRL "not yet valid" and
// refuse every upstream.
const crlBackdate = 5 * time.Minute

// Revoke revokes every certificate issued under name that is not revoked
// yet (earlier ones too: after a renewal with a leaked key the previous
// certificate must not stay usable) and rewrites the CRLs. It returns the
// records it revoked.
func (ca *CA) Revoke(name string) ([]Record, error) {
	if ca.index.current(name) < 0 {
		return nil, fmt.Errorf("%s: nothing issued under this name", name)
	}
	now := ca.env.now()
	var done []Record
	for i := range ca.index.Records {
		r := &ca.index.Records[i]
		if r.Name == name && r.Revoked == nil {
			t := now.UTC().Truncate(time.Second)
			r.Revoked = &t
			done = append(done, *r)
		}
	}
	if len(done) == 0 {
		return nil, fmt.Errorf("%s: already revoked", name)
	}
	if err := ca.writeCRL(); err != nil {
		return nil, err
	}
	return done, ca.index.save(ca.Dir)
}

// RefreshCRL writes current CRLs again, valid for days (0 keeps the CA's
// setting, DefaultCRLDays at first). With proxy_ssl_crl, an expired CRL
// makes strait (and nginx) refuse every upstream, so this belongs in a
// timer well inside that period, followed by `strait -s reload`.
func (ca *CA) RefreshCRL(days int) error {
	if days < 0 {
		return fmt.Errorf("days must be positive, not %d", days)
	}
	if days > 0 {
		ca.index.CRLDays = days
	}
	if err := ca.writeCRL(); err != nil {
		return err
	}
	return ca.index.save(ca.Dir)
}

// CRLNextUpdate is when the CRLs written last stop being current.
func (ca *CA) CRLNextUpdate() time.Time { return ca.crlNextUpdate }

// writeCRL writes crl.pem: the root's CRL and then the intermediate's.
// strait (like nginx, which sets X509_V_FLAG_CRL_CHECK_ALL) wants a current
// CRL from the issuer of every certificate of the chain, the root's own
// included, so one file must hold both. The root's lists revoked
// intermediates (none: there is one, and revoking it means a new CA); the
// intermediate's lists the revoked leaves that have not expired yet (an
// expired certificate fails verification anyway, RFC 5280 section 3.3).
func (ca *CA) writeCRL() error {
	now := ca.env.now()
	days := ca.index.CRLDays
	if days == 0 {
		days = DefaultCRLDays
	}
	ca.index.CRLNumber++
	this := now.Add(-crlBackdate)
	next := now.Add(time.Duration(days) * 24 * time.Hour)
	var entries []x509.RevocationListEntry
	for _, r := range ca.index.Records {
		if r.Revoked == nil || now.After(r.NotAfter) {
			continue
		}
		sn, ok := new(big.Int).SetString(r.Serial, 16)
		if !ok {
			return fmt.Errorf("%s: %s: bad serial number %q", ca.Path(IndexFile), r.Name, r.Serial)
		}
		entries = append(entries, x509.RevocationListEntry{SerialNumber: sn, RevocationTime: *r.Revoked})
	}
	var out []byte
	for _, level := range []struct {
		cert    *x509.Certificate
		key     crypto.Signer
		revoked []x509.RevocationListEntry
	}{{ca.Root, ca.rootKey, nil}, {ca.Intermediate, ca.interKey, entries}} {
		der, err := x509.CreateRevocationList(ca.env.rand(), &x509.RevocationList{
			Number:                    big.NewInt(ca.index.CRLNumber),
			ThisUpdate:                this,
			NextUpdate:                next,
			RevokedCertificateEntries: level.revoked,
		}, level.cert, level.key)
		if err != nil {
			return fmt.Errorf("sign the CRL of %q: %w", level.cert.Subject.CommonName, err)
		}
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der})...)
	}
	ca.crlNextUpdate = next
	return writeFile(ca.Path(CRLFile), out, publicMode)
}

// Entry is a record with its status at the CA's current time.
type Entry struct {
	Record
	Status string
}

// List returns every certificate issued, oldest first.
func (ca *CA) List() []Entry {
	now := ca.env.now()
	out := make([]Entry, len(ca.index.Records))
	for i, r := range ca.index.Records {
		out[i] = Entry{Record: r, Status: r.Status(now, ca.index.current(r.Name) == i)}
	}
	return out
}
