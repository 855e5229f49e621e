package tlsconf

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/testpki"
)

// servedSerial returns a client config that records the serial of the
// certificate each handshake was served.
func servedSerial(f *serverFixture, got *string) *tls.Config {
	cfg := f.client()
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		*got = fmt.Sprintf("%x", cs.PeerCertificates[0].SerialNumber)
		return nil
	}
	return cfg
}

func leafFiles(t *testing.T, l *testpki.Leaf) map[string][]byte {
	return map[string][]byte{
		"srv.crt": testpki.PEMCerts(l.Chain()...),
		"srv.key": testpki.PEMKey(t, l.Key, testpki.PKCS8, ""),
	}
}

// TestServerReloadSwapsCertificates replaces the served certificate and
// key under a Server: new handshakes get the new certificate and do not
// resume a session made under the old one; a key that does not match is
// refused with nginx's words and the previous pair keeps serving; the
// expiry facts follow what is in use.
func TestServerReloadSwapsCertificates(t *testing.T) {
	f := newServerFixture(t)
	d := testpki.NewFileDir(t, testpki.ByRename)
	first := f.root.Issue(t, testpki.Spec{DNSNames: []string{"front.test"}})
	d.Write(leafFiles(t, first))
	s := f.settings()
	s.Certificates = []config.CertKey{{Certificate: d.Path("srv.crt"), Key: d.Path("srv.key")}}
	srv, err := NewServer(s, ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if files := srv.Files(); !slices.Equal(files, []string{d.Path("srv.crt"), d.Path("srv.key")}) {
		t.Fatalf("files %q", files)
	}
	var got string
	cfg := servedSerial(f, &got)
	for round := range 2 {
		info, err, cerr := handshake(t, srv, cfg)
		if err != nil || cerr != nil || info.Reused != (round == 1) || got != serialOf(first) {
			t.Fatalf("round %d: %+v %v %v, served %s", round, info, err, cerr, got)
		}
	}

	second := f.root.Issue(t, testpki.Spec{DNSNames: []string{"front.test"}})
	d.Write(leafFiles(t, second))
	if err := srv.Reload(); err != nil {
		t.Fatal(err)
	}
	info, err, _ := handshake(t, srv, cfg)
	if err != nil || info.Reused || got != serialOf(second) {
		t.Fatalf("after the rotation: %+v %v, served %s, want a full handshake with %s", info, err, got, serialOf(second))
	}

	broken := leafFiles(t, f.root.Issue(t, testpki.Spec{DNSNames: []string{"front.test"}}))
	broken["srv.key"] = testpki.PEMKey(t, first.Key, testpki.PKCS8, "")
	d.Write(broken)
	wantErr(t, srv.Reload(), fmt.Sprintf(`SSL_CTX_use_PrivateKey(%q) failed (key values mismatch) for certificate %q`,
		d.Path("srv.key"), d.Path("srv.crt")))
	got = ""
	if _, err, _ := handshake(t, srv, servedSerial(f, &got)); err != nil || got != serialOf(second) {
		t.Fatalf("after a refused rotation: %v, served %s", err, got)
	}
	if certs, _ := srv.Certificates(); certs[0].Serial != serialOf(second) || certs[0].Role != RoleServer {
		t.Fatalf("facts %+v", certs)
	}
}

func serialOf(l *testpki.Leaf) string { return fmt.Sprintf("%x", l.Cert.SerialNumber) }

// TestServerReloadTicketKeys rotates ssl_session_ticket_key files the way
// nginx deployments do, a new key first and the previous one kept to
// decrypt: a ticket resumes while a key of the new list decrypts it, and
// no longer once its key has left the list.
func TestServerReloadTicketKeys(t *testing.T) {
	f := newServerFixture(t)
	d := testpki.NewFileDir(t, testpki.BySymlinkSwap)
	key := func(b byte) []byte { return bytes.Repeat([]byte{b}, 80) }
	d.Write(map[string][]byte{"current.key": key(1), "previous.key": key(0)})
	s := f.settings()
	s.SessionTicketKeys = []string{d.Path("current.key"), d.Path("previous.key")}
	srv, err := NewServer(s, ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if files := srv.Files(); !slices.Contains(files, d.Path("previous.key")) {
		t.Fatalf("files %q", files)
	}
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(protocolName(v), func(t *testing.T) {
			cfg := f.client()
			cfg.MaxVersion = v
			d.Write(map[string][]byte{"current.key": key(1), "previous.key": key(0)})
			if err := srv.Reload(); err != nil {
				t.Fatal(err)
			}
			if info, err, _ := handshake(t, srv, cfg); err != nil || info.Reused {
				t.Fatalf("first: %+v %v", info, err)
			}
			d.Write(map[string][]byte{"current.key": key(2), "previous.key": key(1)})
			if err := srv.Reload(); err != nil {
				t.Fatal(err)
			}
			if info, err, _ := handshake(t, srv, cfg); err != nil || !info.Reused {
				t.Fatalf("the previous key no longer decrypts: %+v %v", info, err)
			}
			// The resumption above was issued a ticket under key 2;
			// start again from one under key 1.
			fresh := f.client()
			fresh.MaxVersion = v
			d.Write(map[string][]byte{"current.key": key(1), "previous.key": key(0)})
			if err := srv.Reload(); err != nil {
				t.Fatal(err)
			}
			handshake(t, srv, fresh)
			d.Write(map[string][]byte{"current.key": key(3), "previous.key": key(2)})
			if err := srv.Reload(); err != nil {
				t.Fatal(err)
			}
			if info, err, _ := handshake(t, srv, fresh); err != nil || info.Reused {
				t.Fatalf("a ticket resumed after its key left the list: %+v %v", info, err)
			}
		})
	}
}

// TestServerFilesOf lists what a rotation may replace: only files, and
// only those the settings read.
func TestServerFilesOf(t *testing.T) {
	s := config.ClientTLS{
		Certificates: []config.CertKey{{Certificate: "/a.crt", Key: "/a.key"}, {Certificate: "data:X", Key: "data:Y"}},
		PasswordFile: "/pw", VerifyClient: "off", ClientCertificate: "/ca.crt", TrustedCertificate: "/t.crt",
		CRL: "/crl.pem", SessionTicketKeys: []string{"/k1"}, SessionTickets: true,
	}
	check := func(want ...string) {
		t.Helper()
		if got := serverFilesOf(s); !slices.Equal(got, want) {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	check("/a.crt", "/a.key", "/pw", "/k1")
	s.VerifyClient, s.SessionTickets = "optional", false
	check("/a.crt", "/a.key", "/pw", "/ca.crt", "/t.crt", "/crl.pem")
	s.SessionCache.Mode = "builtin"
	check("/a.crt", "/a.key", "/pw", "/ca.crt", "/t.crt", "/crl.pem", "/k1")
}

// TestWatcherReloadsServers runs a Watcher over a Server: the change is
// loaded once settled, reported as the client side, and logged in the
// words of the ssl directives; a broken change is logged once.
func TestWatcherReloadsServers(t *testing.T) {
	f := newServerFixture(t)
	d := testpki.NewFileDir(t, testpki.InPlace)
	d.Write(leafFiles(t, f.root.Issue(t, testpki.Spec{DNSNames: []string{"front.test"}})))
	s := f.settings()
	s.Certificates = []config.CertKey{{Certificate: d.Path("srv.crt"), Key: d.Path("srv.key")}}
	srv, err := NewServer(s, ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	log, buf := testLogger()
	var sides []Side
	var errs []error
	w := NewWatcher(nil, []*Server{srv}, WatchOptions{Logger: log, OnReload: func(side Side, _ []string, err error) {
		sides, errs = append(sides, side), append(errs, err)
	}})
	next := f.root.Issue(t, testpki.Spec{DNSNames: []string{"front.test"}})
	d.Write(leafFiles(t, next))
	w.Poll()
	w.Poll()
	if len(errs) != 1 || errs[0] != nil || sides[0] != SideClient {
		t.Fatalf("reloads %v %v", sides, errs)
	}
	if certs, _ := srv.Certificates(); certs[0].Serial != serialOf(next) {
		t.Fatalf("in use: %+v", certs[0])
	}
	d.Write(map[string][]byte{"srv.key": []byte("not a key")})
	for range 4 {
		w.Poll()
	}
	if len(errs) != 2 || errs[1] == nil {
		t.Fatalf("reloads %v", errs)
	}
	wantOK := fmt.Sprintf(`[notice] 1#1: reloaded ssl files after a change of %q, %q`, d.Path("srv.crt"), d.Path("srv.key"))
	wantErr := fmt.Sprintf(`[error] 1#1: cannot load certificate key %q: PEM_read_bio_PrivateKey() failed (no PEM private key found) while reloading changed ssl files, the previous ones stay in use`, d.Path("srv.key"))
	for _, want := range []string{wantOK, wantErr} {
		if n := strings.Count(buf.String(), want); n != 1 {
			t.Errorf("%q logged %d times:\n%s", want, n, buf.String())
		}
	}
}
