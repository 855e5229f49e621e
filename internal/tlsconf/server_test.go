package tlsconf

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/testpki"
)

// serverFixture is a server certificate and a client CA in dir.
type serverFixture struct {
	dir       string
	root      *testpki.CA
	pool      *x509.CertPool
	cert, key string
	clientCA  *testpki.CA
	caFile    string
}

func newServerFixture(t *testing.T) *serverFixture {
	t.Helper()
	dir := t.TempDir()
	root := testpki.NewRoot(t, testpki.Spec{CommonName: "root"})
	leaf := root.Issue(t, testpki.Spec{DNSNames: []string{"front.test"}})
	f := &serverFixture{dir: dir, root: root, pool: x509.NewCertPool(),
		clientCA: testpki.NewRoot(t, testpki.Spec{CommonName: "client ca"})}
	f.pool.AddCert(root.Cert)
	f.cert, f.key = testpki.WriteLeaf(t, dir, "srv", leaf)
	f.caFile = testpki.WriteCerts(t, dir, "client-ca.crt", f.clientCA.Cert)
	return f
}

// settings are a block's defaults with the fixture's certificate.
func (f *serverFixture) settings() config.ClientTLS {
	return config.ClientTLS{
		Certificates: []config.CertKey{{Certificate: f.cert, Key: f.key}},
		Protocols:    []string{"TLSv1.2", "TLSv1.3"}, Ciphers: "HIGH:!aNULL:!MD5", ECDHCurve: "auto",
		HandshakeTimeout: time.Minute, SessionCache: config.SessionCache{Mode: "none"},
		SessionTimeout: 5 * time.Minute, SessionTickets: true, VerifyClient: "off", VerifyDepth: 1,
	}
}

// handshake runs srv against a crypto/tls client over a pipe and reads
// what the client gets, so TLS 1.3 tickets reach its session cache.
func handshake(t *testing.T, srv *Server, cfg *tls.Config) (*ServerInfo, error, error) {
	t.Helper()
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	done := make(chan error, 1)
	go func() {
		c := tls.Client(b, cfg)
		err := c.Handshake()
		if err == nil {
			c.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, err = c.Read(make([]byte, 1))
		}
		b.Close()
		done <- err
	}()
	tc, info, err := srv.Handshake(context.Background(), a)
	if tc != nil {
		tc.Write([]byte("x"))
		tc.Close()
	}
	a.Close()
	return info, err, <-done
}

func (f *serverFixture) client() *tls.Config {
	return &tls.Config{RootCAs: f.pool, ServerName: "front.test", ClientSessionCache: tls.NewLRUClientSessionCache(4)}
}

func TestServerSessionTimeout(t *testing.T) {
	f := newServerFixture(t)
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s := f.settings()
	s.SessionTimeout = time.Minute
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		srv, err := NewServer(s, ServerOptions{Now: clock})
		if err != nil {
			t.Fatal(err)
		}
		cfg := f.client()
		cfg.MaxVersion = v
		var reused []bool
		for _, step := range []time.Duration{0, 30 * time.Second, 2 * time.Minute} {
			now = now.Add(step)
			info, err, _ := handshake(t, srv, cfg)
			if err != nil {
				t.Fatal(err)
			}
			reused = append(reused, info.Reused)
		}
		// New; resumed within the timeout; a full handshake after it.
		if want := []bool{false, true, false}; !equalBools(reused, want) {
			t.Errorf("%s: reused %v, want %v", protocolName(v), reused, want)
		}
	}
}

func equalBools(a, b []bool) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestServerTicketKeys follows nginx's ssl_session_ticket_key: the first
// key encrypts, every key decrypts; a block without the old key cannot
// resume the old tickets. The session ID survives resumption.
func TestServerTicketKeys(t *testing.T) {
	f := newServerFixture(t)
	k1 := testpki.WriteFile(t, f.dir, "k1.key", bytes.Repeat([]byte{1}, 48))
	k2 := testpki.WriteFile(t, f.dir, "k2.key", bytes.Repeat([]byte{2}, 80))
	build := func(keys ...string) *Server {
		s := f.settings()
		s.SessionTicketKeys = keys
		srv, err := NewServer(s, ServerOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return srv
	}
	cfg := f.client()
	first, err, _ := handshake(t, build(k1), cfg)
	if err != nil || first.Reused {
		t.Fatalf("first: %+v %v", first, err)
	}
	second, _, _ := handshake(t, build(k2, k1), cfg)
	if !second.Reused || !bytes.Equal(second.SessionID, first.SessionID) {
		t.Errorf("rotated keys: reused %v, session ID kept %v", second.Reused, bytes.Equal(second.SessionID, first.SessionID))
	}
	fresh := f.client()
	handshake(t, build(k1), fresh)
	if third, _, _ := handshake(t, build(k2), fresh); third.Reused {
		t.Error("a block without the old key resumed its ticket")
	}
	if _, err := NewServer(func() config.ClientTLS {
		s := f.settings()
		s.SessionTicketKeys = []string{testpki.WriteFile(t, f.dir, "bad.key", []byte("short"))}
		return s
	}(), ServerOptions{}); err == nil || !strings.Contains(err.Error(), "must be 48 or 80 bytes") {
		t.Errorf("short key file: %v", err)
	}
}

// TestServerStatefulCache: with tickets off and a shared cache, two
// blocks with the same settings resume each other's sessions through the
// cache, and a block with other settings does not.
func TestServerStatefulCache(t *testing.T) {
	f := newServerFixture(t)
	cache := NewSharedSessionCache(1 << 20)
	s := f.settings()
	s.SessionTickets = false
	s.SessionCache = config.SessionCache{Mode: "shared", Shared: "tls", SharedSize: 1 << 20}
	a, err := NewServer(s, ServerOptions{Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewServer(s, ServerOptions{Cache: cache})
	other := s
	other.VerifyClient, other.ClientCertificate = "optional", f.caFile
	c, err := NewServer(other, ServerOptions{Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	cfg := f.client()
	cfg.MaxVersion = tls.VersionTLS12
	handshake(t, a, cfg)
	if info, _, _ := handshake(t, b, cfg); !info.Reused || cache.Len() == 0 {
		t.Errorf("same settings: reused %v, cache holds %d", info.Reused, cache.Len())
	}
	if info, _, _ := handshake(t, c, cfg); info.Reused {
		t.Error("a block with other verification settings resumed the session")
	}
	// Tickets and cache both off: no resumption at all.
	s.SessionCache = config.SessionCache{Mode: "off"}
	d, _ := NewServer(s, ServerOptions{})
	handshake(t, d, cfg)
	if info, _, _ := handshake(t, d, cfg); info.Reused {
		t.Error("resumed with tickets and cache off")
	}
}

// TestServerClientVerification follows ngx_stream_ssl_handler: the
// handshake completes, then the verdict ends the session or not.
func TestServerClientVerification(t *testing.T) {
	f := newServerFixture(t)
	good := f.clientCA.Issue(t, testpki.Spec{CommonName: "alice", Client: true})
	serverOnly := f.clientCA.Issue(t, testpki.Spec{CommonName: "web"}) // EKU serverAuth only
	stranger := testpki.SelfSigned(t, testpki.Spec{CommonName: "mallory", Client: true})
	cases := []struct {
		mode   string
		leaf   *testpki.Leaf
		verify string
		err    string
	}{
		{"on", good, "SUCCESS", ""},
		{"on", nil, "NONE", "client sent no required SSL certificate"},
		{"on", serverOnly, "FAILED:unsuitable certificate purpose", "client SSL certificate verify error: (26:unsuitable certificate purpose)"},
		{"on", stranger, "FAILED:self-signed certificate", "client SSL certificate verify error: (18:self-signed certificate)"},
		{"optional", nil, "NONE", ""},
		{"optional", stranger, "FAILED:self-signed certificate", "client SSL certificate verify error: (18:self-signed certificate)"},
		{"optional_no_ca", stranger, "FAILED:self-signed certificate", ""},
		{"off", good, "NONE", ""},
	}
	for _, c := range cases {
		s := f.settings()
		s.VerifyClient, s.ClientCertificate = c.mode, f.caFile
		srv, err := NewServer(s, ServerOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cfg := f.client()
		if c.leaf != nil {
			// Sent whatever CAs the server names, as OpenSSL's client does.
			cert := c.leaf.TLSCertificate()
			cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
		}
		info, err, _ := handshake(t, srv, cfg)
		name := c.mode + "/" + c.verify
		if info == nil || info.Verify != c.verify {
			t.Errorf("%s: info %+v", name, info)
		}
		var he *ServerHandshakeError
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case c.err != "" && (err == nil || err.Error() != c.err || !errors.As(err, &he)):
			t.Errorf("%s: error %v, want %q", name, err, c.err)
		}
	}
}

func TestServerRejectHandshake(t *testing.T) {
	f := newServerFixture(t)
	s := f.settings()
	s.RejectHandshake, s.Certificates = true, nil
	srv, err := NewServer(s, ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err, cerr := handshake(t, srv, f.client())
	if err == nil || err.Error() != "handshake rejected" {
		t.Errorf("server: %v", err)
	}
	if cerr == nil || !strings.Contains(cerr.Error(), "unrecognized name") {
		t.Errorf("client: %v", cerr)
	}
}

func TestServerSettingsRefused(t *testing.T) {
	f := newServerFixture(t)
	for _, c := range []struct {
		edit func(*config.ClientTLS)
		want string
	}{
		{func(s *config.ClientTLS) { s.ConfCommands = [][2]string{{"Options", "-SessionTicket"}} }, `ssl_conf_command "Options" is not supported`},
		{func(s *config.ClientTLS) { s.ECDHCurve = "X448" }, `SSL_CTX_set1_curves_list("X448") failed (unsupported group "X448")`},
		{func(s *config.ClientTLS) { s.Ciphers = "NOTHING" }, `SSL_CTX_set_cipher_list("NOTHING") failed`},
		{func(s *config.ClientTLS) {
			s.Certificates[0].Key = "data:-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n"
		}, `cannot load certificate key "data:..."`},
	} {
		s := f.settings()
		s.Certificates = append([]config.CertKey(nil), s.Certificates...)
		c.edit(&s)
		_, err := NewServer(s, ServerOptions{})
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "secret") {
			t.Errorf("got %v, want %s...", err, c.want)
		}
	}
}

func TestServerKeyLogAndDataValues(t *testing.T) {
	f := newServerFixture(t)
	certPEM, _ := os.ReadFile(f.cert)
	keyPEM, _ := os.ReadFile(f.key)
	s := f.settings()
	s.Certificates = []config.CertKey{{Certificate: "data:" + string(certPEM), Key: "data:" + string(keyPEM)}}
	var keys bytes.Buffer
	srv, err := NewServer(s, ServerOptions{KeyLog: &keys})
	if err != nil {
		t.Fatal(err)
	}
	if _, err, _ := handshake(t, srv, f.client()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(keys.String(), "CLIENT_HANDSHAKE_TRAFFIC_SECRET ") {
		t.Errorf("key log:\n%s", keys.String())
	}
}
