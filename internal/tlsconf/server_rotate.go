package tlsconf

import (
	"crypto/tls"
	"strings"

	"github.com/straitproxy/strait/internal/config"
)

// serverMaterial is what a Server reads from files: the certificates it
// serves, the client trust store and CRLs, and the session ticket keys,
// with the tls.Config built on them. It is loaded as a whole, by the same
// code at start and on rotation, and never changes once loaded: a
// rotation swaps in a new one.
type serverMaterial struct {
	base     *tls.Config // cloned for each handshake
	chain    chainVerifier
	sessions *sessions
	certs    []CertificateFact
	crls     []CRLFact
	stamp    stamp // the files' state just before they were read
}

// serverFilesOf lists the files a listen ... ssl profile reads, those a
// rotation may replace: each certificate and key, the password file, the
// client trust and CRL (read only when clients are verified) and the
// session ticket keys (read only when sessions are resumed by ticket).
// "data:" values are the PEM text itself: nothing to watch.
func serverFilesOf(s config.ClientTLS) []string {
	var out []string
	add := func(f string) {
		if f != "" && !strings.HasPrefix(f, "data:") {
			out = append(out, f)
		}
	}
	for _, ck := range s.Certificates {
		add(ck.Certificate)
		add(ck.Key)
	}
	if len(s.Certificates) > 0 {
		add(s.PasswordFile)
	}
	if s.VerifyClient != "" && s.VerifyClient != "off" {
		add(s.ClientCertificate)
		add(s.TrustedCertificate)
		add(s.CRL)
	}
	if s.SessionTickets || statefulSessions(s) {
		for _, f := range s.SessionTicketKeys {
			add(f)
		}
	}
	return out
}

// load stats the Server's files, then reads them. The state is taken
// first so that a file replaced while it is read shows as changed at the
// next poll rather than being missed.
func (srv *Server) load() (*serverMaterial, error) {
	st := stampFiles(srv.files)
	m, err := srv.loadServerMaterial()
	if err != nil {
		return nil, err
	}
	m.stamp = st
	return m, nil
}

// Files lists the files the Server reads and a rotation may replace.
func (srv *Server) Files() []string { return append([]string(nil), srv.files...) }

// Reload reads the Server's files again with the code NewServer uses and,
// when they load and fit together, makes new handshakes use them at once.
// Handshakes and sessions in flight keep what they started with. A
// session made before resumes after only when the new material would
// have made it: the served certificates and client trust are unchanged
// (the session's profile digest) and, for tickets, a key of the new
// ssl_session_ticket_key list decrypts it, as with nginx's keys after a
// reload. On error nothing changes and the error names the file and the
// reason, in nginx's words.
func (srv *Server) Reload() error {
	srv.reloadMu.Lock()
	defer srv.reloadMu.Unlock()
	m, err := srv.load()
	if err != nil {
		return err
	}
	srv.cur.Store(m)
	return nil
}

// Certificates describes the certificates and CRLs in use now, for
// expiry metrics and warnings.
func (srv *Server) Certificates() ([]CertificateFact, []CRLFact) {
	m := srv.cur.Load()
	return m.certs, m.crls
}

// loadedStamp is the state of the files when the material in use was read.
func (srv *Server) loadedStamp() stamp { return srv.cur.Load().stamp }
