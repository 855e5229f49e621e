package tlsconf

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/ngxconf"
	"github.com/straitproxy/strait/internal/testpki"
)

func TestKeyFormats(t *testing.T) {
	tests := []struct {
		key      testpki.KeyType
		format   testpki.KeyFormat
		password string // written to the key
		pwfile   string // proxy_ssl_password_file contents, "" for none
	}{
		{testpki.RSA, testpki.PKCS1, "", ""},
		{testpki.RSA, testpki.PKCS8, "", ""},
		{testpki.ECDSA, testpki.SEC1, "", ""},
		{testpki.ECDSA, testpki.PKCS8, "", ""},
		{testpki.Ed25519, testpki.PKCS8, "", ""},
		{testpki.RSA, testpki.PKCS8Encrypted, "s3cret", "wrong\ns3cret\n"},
		{testpki.ECDSA, testpki.PKCS8Encrypted, "s3cret", "wrong\r\ns3cret\r\n"},
		{testpki.Ed25519, testpki.PKCS8Encrypted, "s3cret", "s3cret"},
		{testpki.RSA, testpki.LegacyEncrypted, "s3cret", "wrong\ns3cret\n"},
		{testpki.ECDSA, testpki.LegacyEncrypted, "s3cret", "nope\ns3cret\n"},
	}
	for _, tt := range tests {
		t.Run(tt.key.String()+"/"+formatName(tt.format), func(t *testing.T) {
			dir := t.TempDir()
			leaf := testpki.SelfSigned(t, testpki.Spec{Key: tt.key, CommonName: "client", Client: true})
			s := config.ProxySSL{
				Enabled:        true,
				Certificate:    testpki.WriteCerts(t, dir, "c.pem", leaf.Cert),
				CertificateKey: testpki.WriteKey(t, dir, "k.pem", leaf.Key, tt.format, tt.password),
			}
			if tt.pwfile != "" {
				s.PasswordFile = testpki.WriteFile(t, dir, "pw", []byte(tt.pwfile))
			}
			c := newClient(t, s, "backend")
			got, err := c.cur.Load().base.GetClientCertificate(nil)
			if err != nil || got.Leaf != leaf.Cert && !got.Leaf.Equal(leaf.Cert) {
				t.Fatalf("client certificate = %v, %v", got, err)
			}
			if tt.pwfile == "" {
				return
			}
			// The same key with no password file, or only wrong ones, fails
			// without revealing any passphrase.
			s.PasswordFile = ""
			_, err = NewClient(s, "backend")
			wantErr(t, err, `cannot load certificate key "`+s.CertificateKey+`": PEM_read_bio_PrivateKey() failed (the key is encrypted and no proxy_ssl_password_file is set)`)
			s.PasswordFile = testpki.WriteFile(t, dir, "pw2", []byte("one\ntwo\n"))
			_, err = NewClient(s, "backend")
			wantErr(t, err, `cannot load certificate key "`+s.CertificateKey+`": PEM_read_bio_PrivateKey() failed (bad decrypt: none of the 2 passphrases of proxy_ssl_password_file fits)`)
			if strings.Contains(err.Error(), tt.password) {
				t.Errorf("error reveals the passphrase: %v", err)
			}
		})
	}
}

func formatName(f testpki.KeyFormat) string {
	return [...]string{"PKCS8", "PKCS1", "SEC1", "PKCS8Encrypted", "LegacyEncrypted"}[f]
}

func wantErr(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	if err.Error() != want {
		t.Fatalf("error:\n got %q\nwant %q", err.Error(), want)
	}
}

func TestNewClientErrors(t *testing.T) {
	dir := t.TempDir()
	a := testpki.SelfSigned(t, testpki.Spec{CommonName: "a"})
	b := testpki.SelfSigned(t, testpki.Spec{CommonName: "b"})
	certA, keyA := testpki.WriteLeaf(t, dir, "a", a)
	_, keyB := testpki.WriteLeaf(t, dir, "b", b)
	missing := filepath.Join(dir, "missing.pem")
	garbage := testpki.WriteFile(t, dir, "garbage.pem", []byte("not pem\n"))
	empty := testpki.WriteFile(t, dir, "empty", []byte("\n\n"))

	tests := []struct {
		name string
		edit func(*config.ProxySSL)
		want string
	}{
		{"missing certificate", func(s *config.ProxySSL) { s.Certificate, s.CertificateKey = missing, keyA },
			`cannot load certificate "` + missing + `": open() failed (2: No such file or directory)` + " in s.conf:2"},
		{"missing key", func(s *config.ProxySSL) { s.Certificate, s.CertificateKey = certA, missing },
			`cannot load certificate key "` + missing + `": open() failed (2: No such file or directory)` + " in s.conf:3"},
		{"certificate without key", func(s *config.ProxySSL) { s.Certificate = certA },
			`no "proxy_ssl_certificate_key" is defined for certificate "` + certA + `"` + " in s.conf:2"},
		{"no certificate in file", func(s *config.ProxySSL) { s.Certificate, s.CertificateKey = garbage, keyA },
			`cannot load certificate "` + garbage + `": PEM_read_bio_X509() failed (no PEM certificate found)` + " in s.conf:2"},
		{"no key in file", func(s *config.ProxySSL) { s.Certificate, s.CertificateKey = certA, garbage },
			`cannot load certificate key "` + garbage + `": PEM_read_bio_PrivateKey() failed (no PEM private key found)` + " in s.conf:3"},
		{"key mismatch", func(s *config.ProxySSL) { s.Certificate, s.CertificateKey = certA, keyB },
			`SSL_CTX_use_PrivateKey("` + keyB + `") failed (key values mismatch) for certificate "` + certA + `"` + " in s.conf:3"},
		{"missing password file", func(s *config.ProxySSL) { s.Certificate, s.CertificateKey, s.PasswordFile = certA, keyA, missing },
			`cannot read password file "` + missing + `": open() failed (2: No such file or directory)` + " in s.conf:4"},
		{"empty password file", func(s *config.ProxySSL) { s.Certificate, s.CertificateKey, s.PasswordFile = certA, keyA, empty },
			`no password found in "` + empty + `"` + " in s.conf:4"},
		{"verify without trusted", func(s *config.ProxySSL) { s.Verify = true },
			`no proxy_ssl_trusted_certificate for proxy_ssl_verify` + " in s.conf:7"},
		{"missing trusted", func(s *config.ProxySSL) { s.Verify, s.TrustedCertificate = true, missing },
			`cannot load trusted certificate "` + missing + `": open() failed (2: No such file or directory)` + " in s.conf:5"},
		{"missing CRL", func(s *config.ProxySSL) { s.Verify, s.TrustedCertificate, s.CRL = true, certA, missing },
			`cannot load CRL "` + missing + `": open() failed (2: No such file or directory)` + " in s.conf:6"},
		{"CRL file without CRL", func(s *config.ProxySSL) { s.Verify, s.TrustedCertificate, s.CRL = true, certA, certA },
			`cannot load CRL "` + certA + `": no PEM CRL found` + " in s.conf:6"},
		{"SSLv3", func(s *config.ProxySSL) { s.Protocols = []string{"SSLv3", "TLSv1.2"} },
			`SSLv3 is not supported: strait's TLS stack does not implement SSL` + " in s.conf:1"},
		{"SSLv2", func(s *config.ProxySSL) { s.Protocols = []string{"SSLv2"} },
			`SSLv2 is not supported: strait's TLS stack does not implement SSL` + " in s.conf:1"},
		{"unknown protocol", func(s *config.ProxySSL) { s.Protocols = []string{"TLSv2"} },
			`invalid protocol "TLSv2" in proxy_ssl_protocols` + " in s.conf:1"},
		{"unsupported conf command", func(s *config.ProxySSL) { s.ConfCommands = [][2]string{{"Options", "-SessionTicket"}} },
			`proxy_ssl_conf_command "Options" is not supported` + " in s.conf:9"},
		{"unknown group", func(s *config.ProxySSL) { s.ConfCommands = [][2]string{{"Groups", "X25519:ffdhe2048"}} },
			`proxy_ssl_conf_command "Groups": unsupported group "ffdhe2048"` + " in s.conf:9"},
		{"conf command SSLv3", func(s *config.ProxySSL) { s.ConfCommands = [][2]string{{"MinProtocol", "SSLv3"}} },
			`proxy_ssl_conf_command "MinProtocol": SSLv3 is not supported: strait's TLS stack does not implement SSL` + " in s.conf:9"},
		{"conf command min above max", func(s *config.ProxySSL) {
			s.ConfCommands = [][2]string{{"MinProtocol", "TLSv1.3"}, {"MaxProtocol", "TLSv1.2"}}
		},
			`proxy_ssl_conf_command: minimum protocol TLSv1.3 is above maximum TLSv1.2` + " in s.conf:10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := config.ProxySSL{Enabled: true, SessionReuse: true, Ciphers: "DEFAULT"}
			tt.edit(&s)
			// Every error ends with the position of the directive it
			// is about; protocols errors fall back to proxy_ssl's.
			at := func(line int) ngxconf.Pos { return ngxconf.Pos{File: "s.conf", Line: line} }
			s.Pos, s.CertificatePos, s.KeyPos, s.PasswordPos = at(1), at(2), at(3), at(4)
			s.TrustedPos, s.CRLPos, s.VerifyPos, s.CiphersPos = at(5), at(6), at(7), at(8)
			s.ConfCommandPos = []ngxconf.Pos{at(9), at(10)}
			_, err := NewClient(s, "backend")
			wantErr(t, err, tt.want)
		})
	}
	t.Run("OS error stays reachable", func(t *testing.T) {
		_, err := NewClient(config.ProxySSL{Enabled: true, Certificate: missing, CertificateKey: keyA}, "x")
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("errors.Is(%v, fs.ErrNotExist) = false", err)
		}
	})
	t.Run("bad cipher string", func(t *testing.T) {
		at := ngxconf.Pos{File: "s.conf", Line: 8}
		_, err := NewClient(config.ProxySSL{Enabled: true, Ciphers: "NOSUCHCIPHER", CiphersPos: at}, "x")
		if err == nil || !strings.HasPrefix(err.Error(), `invalid proxy_ssl_ciphers "NOSUCHCIPHER": `) ||
			!strings.HasSuffix(err.Error(), " in s.conf:8") {
			t.Fatalf("error = %v", err)
		}
	})
}
