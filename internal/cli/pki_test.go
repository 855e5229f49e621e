package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPKICommands runs a CA's life on the command line: init, issue a
// client certificate with an encrypted key and a server certificate,
// revoke, renew, list; then the mistakes a person makes.
func TestPKICommands(t *testing.T) {
	wd := t.TempDir()
	pki := func(args ...string) (int, string, string) {
		t.Helper()
		return runCLI(t, wd, append([]string{"pki"}, args...)...)
	}
	mustPKI := func(args ...string) string {
		t.Helper()
		code, out, errs := pki(args...)
		if code != 0 || errs != "" {
			t.Fatalf("strait pki %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
		}
		return out
	}
	if err := os.WriteFile(filepath.Join(wd, "pw"), []byte("s3cret-pass\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	out := mustPKI("init", "--dir", "ca", "--name", "Example")
	ca := filepath.Join(wd, "ca")
	if !strings.Contains(out, filepath.Join(ca, "trusted_ca_cert.crt")) {
		t.Errorf("init output does not name the root:\n%s", out)
	}
	out = mustPKI("issue", "client", "backend", "--dir=ca", "--encrypt", "--password-file", "pw")
	for _, want := range []string{
		"proxy_ssl_certificate         " + filepath.Join(ca, "backend.crt") + ";",
		"proxy_ssl_certificate_key     " + filepath.Join(ca, "backend.key") + ";",
		"proxy_ssl_password_file       " + filepath.Join(wd, "pw") + ";",
		"proxy_ssl_trusted_certificate " + filepath.Join(ca, "trusted_ca_cert.crt") + ";",
		"proxy_ssl_verify_depth        2;",
		"proxy_ssl_crl                 " + filepath.Join(ca, "crl.pem") + ";",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("issue client output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "s3cret-pass") {
		t.Error("the password is printed")
	}
	// Options after the name, and a comma-separated --san.
	out = mustPKI("issue", "server", "backend1.example.com", "--san", "backend,127.0.0.1", "--dir", "ca", "--days", "30")
	if !strings.Contains(out, `"backend1.example.com" for backend, 127.0.0.1`) {
		t.Errorf("issue server output:\n%s", out)
	}
	mustPKI("revoke", "backend1.example.com", "--dir", "ca")
	mustPKI("renew", "backend", "--dir", "ca", "--password-file", "pw")
	out = mustPKI("list", "--dir", "ca")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "NAME") ||
		!strings.Contains(lines[1], "superseded") || !strings.Contains(lines[2], "revoked") || !strings.Contains(lines[3], "valid") {
		t.Errorf("list:\n%s", out)
	}
	mustPKI("crl", "--dir", "ca", "--days", "7")

	// The current directory is the default.
	mustPKI("init", "--rsa", "2048")
	if _, err := os.Stat(filepath.Join(wd, "private", "root_ca.key")); err != nil {
		t.Errorf("init without --dir: %v", err)
	}

	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"init", "--dir", "ca"}, 1, "strait: [emerg] pki init: " + filepath.Join(ca, "index.json") + ": a CA already exists"},
		{[]string{"issue", "client", "backend", "--dir", "ca"}, 1, "backend: already issued"},
		{[]string{"issue", "server", "x", "--dir", "ca", "--encrypt"}, 2, "--encrypt and --password-file go together"},
		{[]string{"issue", "client", "c", "--san", "c.example", "--dir", "ca"}, 2, "client certificates carry no --san"},
		{[]string{"issue", "server", "x", "--bogus"}, 2, `unknown option "--bogus"`},
		{[]string{"issue", "server", "x", "--days", "-3"}, 2, "--days wants a positive number"},
		{[]string{"issue", "client", "c", "--dir", "ca", "--encrypt", "--password-file", "nope"}, 1, filepath.Join(wd, "nope")},
		{[]string{"list", "--dir", "empty"}, 1, filepath.Join(wd, "empty") + ": no CA here"},
		{[]string{"init", "--rsa=1024", "--dir", "r"}, 1, "2048, 3072 or 4096"},
		{[]string{"frob"}, 2, `unknown command "frob"`},
		{nil, 2, "Usage: strait pki init"},
	} {
		code, _, errs := pki(tt.args...)
		if code != tt.code || !strings.Contains(errs, tt.want) {
			t.Errorf("strait pki %s: exit %d, stderr %q; want %d and %q", strings.Join(tt.args, " "), code, errs, tt.code, tt.want)
		}
	}
	code, out, _ := pki("issue", "-h")
	if code != 0 || !strings.HasPrefix(out, "Usage: strait pki init") {
		t.Errorf("pki issue -h: exit %d\n%s", code, out)
	}
	if _, out, _ := runCLI(t, wd, "help"); !strings.Contains(out, "strait pki init|issue|renew|revoke|crl|list") {
		t.Errorf("strait help does not mention pki:\n%s", out)
	}
}
