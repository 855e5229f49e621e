package interop

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestStraitPKIDrivesTheArticle makes a CA with the built binary's
// `strait pki` and runs the configuration of nginx's "Securing TCP Traffic
// to Upstream Servers" on its files, unchanged but for addresses, an
// encrypted key's password file and the CRL, in front of `openssl
// s_server -Verify 1`, which requires strait's client certificate. After
// `strait pki revoke` of the upstream's certificate, a strait loading the
// new CRL refuses the upstream.
func TestStraitPKIDrivesTheArticle(t *testing.T) {
	openssl := needTool(t, "openssl")
	dir := t.TempDir()
	pki := straitPKI(t, dir)
	pki("init")
	client := pki("issue", "client", "backend", "--encrypt", "--password-file", filepath.Join(dir, "password"))
	pki("issue", "server", "backend1.example.com", "--san", "backend")

	// The upstream: the server certificate and the intermediate, and the
	// root to check strait's certificate with. Port 0, read back from
	// what s_server prints, so no port is picked first and bound later.
	p := launch(t, false, openssl, "s_server", "-accept", "127.0.0.1:0", "-rev", "-naccept", "2",
		"-cert", filepath.Join(dir, "backend1.example.com.crt"), "-key", filepath.Join(dir, "backend1.example.com.key"),
		"-cert_chain", filepath.Join(dir, "intermediate_ca.crt"),
		"-Verify", "1", "-verify_return_error", "-CAfile", filepath.Join(dir, "trusted_ca_cert.crt"))
	accept := regexp.MustCompile(`ACCEPT 127\.0\.0\.1:(\d+)`)
	var port string
	p.waitUntil(t, "print its port", func() bool {
		if m := accept.FindStringSubmatch(p.out.String()); m != nil {
			port = m[1]
		}
		return port != ""
	})

	// The article's server block, with the directives `strait pki issue
	// client` printed in place of its file lines.
	var directives []string
	for _, l := range strings.Split(client, "\n") {
		if strings.HasPrefix(l, "    proxy_ssl_") {
			directives = append(directives, strings.TrimSpace(l))
		}
	}
	if len(directives) != 7 {
		t.Fatalf("strait pki issue client printed %d directives, want 7:\n%s", len(directives), client)
	}
	config := func(listen string) string {
		return fmt.Sprintf(`
    upstream backend {
        server 127.0.0.1:%s;
    }

    server {
        listen     127.0.0.1:%s;
        proxy_pass backend;
        proxy_ssl  on;

        proxy_ssl_protocols           TLSv1 TLSv1.1 TLSv1.2;
        proxy_ssl_ciphers             HIGH:!aNULL:!MD5;
        proxy_ssl_session_reuse       on;
        %s
    }`, port, listen, strings.Join(directives, "\n        "))
	}

	ln, addr := listenAddr(t)
	listen := addr[strings.LastIndexByte(addr, ':')+1:]
	st := startStrait(t, t.TempDir(), config(listen), ln)
	if got, want := readLine(t, st.Addr(t), "hello through strait"), reverse("hello through strait"); got != want {
		t.Fatalf("reply %q, want %q", got, want)
	}
	if rec := st.records(t, 1)[0]; rec.Status != "200" || rec.Verify != "OK" || rec.Protocol != "TLSv1.2" {
		t.Errorf("record %+v, want status 200 over TLSv1.2, verified", rec)
	}
	if !strings.Contains(p.out.String(), "depth=0 O = strait, CN = backend\n") {
		t.Errorf("s_server did not report strait's client certificate:\n%s", p.out.String())
	}

	pki("revoke", "backend1.example.com")
	ln, addr = listenAddr(t)
	st = startStrait(t, t.TempDir(), config(addr[strings.LastIndexByte(addr, ':')+1:]), ln)
	exchange(t, st.Addr(t), "refused\n")
	if rec := st.records(t, 1)[0]; rec.Status != "502" {
		t.Errorf("record %+v after revocation, want status 502", rec)
	}
	if log := st.Log.String(); !strings.Contains(log, "certificate revoked") {
		t.Errorf("error log does not say the certificate is revoked:\n%s", log)
	}
}

// straitPKI writes a password file into dir and returns a function that
// runs the built binary's `strait pki` with a CA in dir.
func straitPKI(t *testing.T, dir string) func(args ...string) string {
	bin := buildStrait(t)
	if err := os.WriteFile(filepath.Join(dir, "password"), []byte("correct horse\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return func(args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, append([]string{"pki"}, append(args, "--dir", dir)...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("strait pki %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
}
