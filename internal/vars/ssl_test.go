package vars

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/straittest"
	"github.com/straitproxy/strait/internal/testpki"
)

// TestSSLClientNamesAsOpenSSLPrintsThem compares $ssl_client_s_dn and
// $ssl_client_i_dn, serial, fingerprint and validity with what `openssl
// x509` prints for the same certificate with nginx's options.
func TestSSLClientNamesAsOpenSSLPrintsThem(t *testing.T) {
	openssl := straittest.Tool(t, "openssl")
	issuer := testpki.NewRoot(t, testpki.Spec{CommonName: "Ops CA; \"east\""})
	leaf := issuer.Issue(t, testpki.Spec{CommonName: " alice, <ops>+dev #1 ", Client: true, Mutate: func(c *x509.Certificate) {
		c.Subject.Organization = []string{"Société Générale"}
		c.Subject.ExtraNames = []pkix.AttributeTypeAndValue{
			{Type: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}, Value: "alice@example.com"},
			{Type: asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}, Value: "example"},
			{Type: asn1.ObjectIdentifier{1, 2, 3, 4}, Value: "private"},
		}
		c.SerialNumber = big.NewInt(0x0a0b0c)
	}})
	path := testpki.WriteCerts(t, t.TempDir(), "leaf.pem", leaf.Cert)
	out, err := exec.Command(openssl, "x509", "-in", path, "-noout", "-nameopt", "RFC2253",
		"-subject", "-issuer", "-serial", "-startdate", "-enddate", "-fingerprint", "-sha1").CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	want := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		k, v, _ := strings.Cut(l, "=")
		want[k] = v
	}
	s := &Session{ClientTLS: &ClientTLS{Cert: leaf.Cert}, End: time.Now()}
	get := func(name string) string {
		for _, d := range sslVariables() {
			if d.Name == name {
				b, _ := d.Get(nil, s)
				return string(b)
			}
		}
		t.Fatalf("no variable %s", name)
		return ""
	}
	fp := strings.ToLower(strings.ReplaceAll(want["sha1 Fingerprint"]+want["SHA1 Fingerprint"], ":", ""))
	for _, c := range []struct{ name, want string }{
		{"ssl_client_s_dn", want["subject"]},
		{"ssl_client_i_dn", want["issuer"]},
		{"ssl_client_serial", want["serial"]},
		{"ssl_client_v_start", want["notBefore"]},
		{"ssl_client_v_end", want["notAfter"]},
		{"ssl_client_fingerprint", fp},
	} {
		if got := get(c.name); got != c.want {
			t.Errorf("$%s = %q, openssl prints %q", c.name, got, c.want)
		}
	}
	pem, _ := os.ReadFile(path)
	if got := get("ssl_client_raw_cert"); got != string(pem) {
		t.Errorf("$ssl_client_raw_cert = %q", got)
	}
	if got := get("ssl_client_cert"); got != strings.ReplaceAll(strings.TrimSuffix(string(pem), "\n"), "\n", "\n\t") {
		t.Errorf("$ssl_client_cert = %q", got)
	}
	if got := get("ssl_client_escaped_cert"); !strings.HasPrefix(got, "-----BEGIN%20CERTIFICATE-----%0A") || strings.ContainsAny(got, "\n/+=") {
		t.Errorf("$ssl_client_escaped_cert = %q", got)
	}
}

type testNames struct{}

func (testNames) SuiteName(id uint16) string      { return tls.CipherSuiteName(id) }
func (testNames) GroupName(id tls.CurveID) string { return id.String() }

func TestSSLVariablesNotFound(t *testing.T) {
	s := &Session{}
	for _, d := range sslVariables() {
		if _, ok := d.Get(nil, s); ok {
			t.Errorf("$%s found without TLS", d.Name)
		}
	}
	s.ClientTLS = &ClientTLS{Protocol: "TLSv1.3", Verify: "NONE", Names: testNames{}, Ciphers: []uint16{0x1301, 0x0a0a}}
	for name, want := range map[string]string{"ssl_protocol": "TLSv1.3", "ssl_client_verify": "NONE", "ssl_session_reused": ".",
		"ssl_ciphers": "TLS_AES_128_GCM_SHA256:0x0A0A"} {
		for _, d := range sslVariables() {
			if d.Name == name {
				if b, ok := d.Get(nil, s); !ok || string(b) != want {
					t.Errorf("$%s = %q %v, want %q", name, b, ok, want)
				}
			}
		}
	}
	for _, name := range []string{"ssl_server_name", "ssl_alpn_protocol", "ssl_client_s_dn", "ssl_client_raw_cert"} {
		for _, d := range sslVariables() {
			if _, ok := d.Get(nil, s); d.Name == name && ok {
				t.Errorf("$%s found with an empty value", name)
			}
		}
	}
}

func TestPrereadVariablesFoundOnlyAfterPreread(t *testing.T) {
	reg := build(t)
	e, err := reg.Compile("[$ssl_preread_server_name|$ssl_preread_alpn_protocols|$ssl_preread_protocol]")
	if err != nil {
		t.Fatal(err)
	}
	s := &Session{}
	if got := string(e.Append(nil, s)); got != "[||]" {
		t.Errorf("before preread: %q", got)
	}
	s = &Session{Preread: &Preread{ServerName: "a.example", ALPN: "h2,http/1.1", Protocol: "TLSv1.3"}}
	if got := string(e.Append(nil, s)); got != "[a.example|h2,http/1.1|TLSv1.3]" {
		t.Errorf("after preread: %q", got)
	}
}
