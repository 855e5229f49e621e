package tlsconf

import (
	"strings"

	"github.com/straitproxy/strait/internal/config"
)

// filesOf lists the files a profile reads, in the order loadMaterial reads
// them: the ones a rotation may replace.
func filesOf(s config.ProxySSL) []string {
	var out []string
	if s.Certificate != "" {
		// "data:" values are the PEM text itself: nothing to watch.
		for _, f := range []string{s.Certificate, s.CertificateKey} {
			if !strings.HasPrefix(f, "data:") {
				out = append(out, f)
			}
		}
		if s.PasswordFile != "" {
			out = append(out, s.PasswordFile)
		}
	}
	if s.Verify {
		out = append(out, s.TrustedCertificate)
		if s.CRL != "" {
			out = append(out, s.CRL)
		}
	}
	return out
}

// load stats the Client's files, then reads them. The state is taken
// first so that a file replaced while it is read shows as changed at the
// next poll rather than being missed.
func (c *Client) load() (*material, error) {
	st := stampFiles(c.files)
	m, err := loadMaterial(c.settings)
	if err != nil {
		return nil, err
	}
	m.stamp = st
	return m, nil
}

// Files lists the files the Client reads: certificate, key, password
// file, trusted certificates and CRL, those set and in use.
func (c *Client) Files() []string { return append([]string(nil), c.files...) }

// Reload reads the Client's files again with the code NewClient uses and,
// when they load and fit together, makes new handshakes use them at once.
// Handshakes and sessions in flight keep what they started with, and no
// session made before is resumed after. On error nothing changes and the
// error names the file and the reason, in nginx's words.
func (c *Client) Reload() error {
	c.reloadMu.Lock()
	defer c.reloadMu.Unlock()
	m, err := c.load()
	if err != nil {
		return err
	}
	c.install(m)
	return nil
}

// Certificates describes the certificates and CRLs in use now.
func (c *Client) Certificates() ([]CertificateFact, []CRLFact) {
	m := c.cur.Load()
	return m.certs, m.crls
}

// loadedStamp is the state of the files when the material in use was read.
func (c *Client) loadedStamp() stamp { return c.cur.Load().stamp }
