package pki

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/straitproxy/strait/internal/straittest"
)

// TestOpenSSLAcceptsWhatItIssues checks the files with OpenSSL, what nginx
// and most upstreams use: `openssl verify` accepts server and client
// chains for their purpose with the root as the only anchor, checks CRLs
// at every level, and reads the encrypted key with the password file.
func TestOpenSSLAcceptsWhatItIssues(t *testing.T) {
	openssl := straittest.Tool(t, "openssl")
	ca, err := Init(t.TempDir(), InitOptions{}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ca.Issue(Request{Kind: Server, Name: "backend1", SANs: []string{"backend", "127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	cli, err := ca.Issue(Request{Kind: Client, Name: "backend", Password: []byte("pw")})
	if err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, error) {
		out, err := exec.Command(openssl, args...).CombinedOutput()
		t.Logf("openssl %s\n%s", strings.Join(args, " "), out)
		return string(out), err
	}
	verify := func(extra ...string) func(leaf string) (string, error) {
		return func(leaf string) (string, error) {
			args := append([]string{"verify", "-x509_strict", "-auth_level", "2",
				"-CAfile", ca.Path(RootCertFile), "-untrusted", ca.Path(IntermediateCertFile)}, extra...)
			return run(append(args, leaf)...)
		}
	}
	for _, tt := range []struct {
		leaf    string
		purpose string
	}{{srv.CertFile, "sslserver"}, {cli.CertFile, "sslclient"}} {
		for _, v := range []func(string) (string, error){
			verify("-purpose", tt.purpose),
			verify("-purpose", tt.purpose, "-crl_check_all", "-CRLfile", ca.Path(CRLFile)),
		} {
			if out, err := v(tt.leaf); err != nil || !strings.HasSuffix(strings.TrimSpace(out), ": OK") {
				t.Errorf("openssl verify %s: %v", tt.leaf, err)
			}
		}
	}
	if out, err := verify("-verify_hostname", "backend", "-verify_ip", "127.0.0.1")(srv.CertFile); err != nil || !strings.Contains(out, ": OK") {
		t.Errorf("openssl verify of the server's names: %v", err)
	}
	// A client certificate is no server certificate.
	if _, err := verify("-purpose", "sslserver")(cli.CertFile); err == nil {
		t.Error("openssl accepts the client certificate for a server")
	}

	pw := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(pw, []byte("pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := run("pkey", "-in", cli.KeyFile, "-passin", "file:"+pw, "-noout"); err != nil {
		t.Errorf("openssl cannot read the encrypted key with the password file: %v", err)
	}

	if _, err := ca.Revoke("backend1"); err != nil {
		t.Fatal(err)
	}
	out, err := verify("-crl_check_all", "-CRLfile", ca.Path(CRLFile))(srv.CertFile)
	if err == nil || !strings.Contains(out, "certificate revoked") {
		t.Errorf("openssl verify of a revoked certificate: %v", err)
	}
	if out, err := verify("-crl_check_all", "-CRLfile", ca.Path(CRLFile))(cli.CertFile); err != nil || !strings.Contains(out, ": OK") {
		t.Errorf("openssl verify of the client after revoking the server: %v", err)
	}
}
