package pki

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"
)

// Kind is what a leaf certificate is for.
type Kind string

const (
	Server Kind = "server" // an upstream's identity: serverAuth, SANs
	Client Kind = "client" // strait's identity towards upstreams: clientAuth
)

// Record is one issued certificate as the index remembers it. A name keeps
// every certificate it was ever issued; the last one is its current one.
type Record struct {
	Name      string     `json:"name"`
	Kind      Kind       `json:"kind"`
	Serial    string     `json:"serial"` // upper-case hex of whole bytes, as openssl prints it
	NotBefore time.Time  `json:"not_before"`
	NotAfter  time.Time  `json:"not_after"`
	SANs      []string   `json:"sans,omitempty"`
	Encrypted bool       `json:"encrypted,omitempty"` // the key file is encrypted
	Revoked   *time.Time `json:"revoked,omitempty"`
}

// Status is "revoked", "expired", "superseded" (renewed since) or "valid".
func (r Record) Status(now time.Time, current bool) string {
	switch {
	case r.Revoked != nil:
		return "revoked"
	case now.After(r.NotAfter):
		return "expired"
	case !current:
		return "superseded"
	}
	return "valid"
}

// index is the CA's state file, DIR/index.json: what OpenSSL's index.txt
// and crlnumber files hold, in one file a person can read.
type index struct {
	Version   int          `json:"version"`
	Key       KeyAlgorithm `json:"-"`
	KeyName   string       `json:"key"`
	Org       string       `json:"organization"`
	CRLNumber int64        `json:"crl_number"` // of the last CRLs written
	CRLDays   int          `json:"crl_days"`   // how long a CRL is current
	Records   []Record     `json:"certificates"`
}

const indexVersion = 1

func loadIndex(dir string) (*index, error) {
	path := filepath.Join(dir, IndexFile)
	b, err := readFile(path)
	if err != nil {
		return nil, err
	}
	var ix index
	if err := json.Unmarshal(b, &ix); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if ix.Version != indexVersion {
		return nil, fmt.Errorf("read %s: unknown version %d", path, ix.Version)
	}
	if ix.Key, err = ParseKeyAlgorithm(ix.KeyName); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return &ix, nil
}

func (ix *index) save(dir string) error {
	ix.Version, ix.KeyName = indexVersion, ix.Key.String()
	b, err := json.MarshalIndent(ix, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, IndexFile), append(b, '\n'), publicMode)
}

// current returns the position of name's latest certificate, or -1.
func (ix *index) current(name string) int {
	for i := len(ix.Records) - 1; i >= 0; i-- {
		if ix.Records[i].Name == name {
			return i
		}
	}
	return -1
}
