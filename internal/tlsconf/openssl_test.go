package tlsconf

import (
	"context"
	"crypto/x509"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/testpki"
)

var verifyReturnCode = regexp.MustCompile(`Verify return code: (\d+) \(([^)]*)\)`)

// TestVerifyAgainstOpenSSL runs every verification case through
// `openssl s_client`, whose final "Verify return code" is what nginx's
// SSL_get_verify_result sees (both accept every error in the callback and
// read the last one), and checks strait's verdict is the same.
func TestVerifyAgainstOpenSSL(t *testing.T) {
	openssl := needOpenSSL(t)
	for _, vc := range verifyCases(t) {
		t.Run(vc.name, func(t *testing.T) {
			dir := t.TempDir()
			trusted, crl := vc.files(t, dir)
			args := []string{"s_client", "-connect", "", "-verify_depth", strconv.Itoa(vc.depth)}
			if crl != "" {
				// s_client's -CRL reads one CRL only; a CAfile holds all, as
				// nginx's proxy_ssl_crl file does.
				both := append(mustRead(t, trusted), mustRead(t, crl)...)
				trusted = testpki.WriteFile(t, dir, "trusted+crl.pem", both)
				args = append(args, "-crl_check_all")
			}
			args = append(args, "-CAfile", trusted)
			srv := vc.server(t)
			args[2] = srv.addr
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			out, _ := exec.CommandContext(ctx, openssl, args...).CombinedOutput()
			m := verifyReturnCode.FindSubmatch(out)
			if m == nil {
				t.Fatalf("no verify result from openssl:\n%s", out)
			}
			code, _ := strconv.Atoi(string(m[1]))
			if code != vc.wantCode {
				t.Errorf("openssl says %d (%s), the case expects %d", code, m[2], vc.wantCode)
			}
			if code != codeOK && string(m[2]) != verifyReason(code) {
				t.Errorf("openssl's reason %q, strait's %q", m[2], verifyReason(code))
			}
		})
	}
}

// TestDepthAgainstOpenSSLVerify checks that `openssl verify -verify_depth`
// accepts exactly the chains strait accepts.
func TestDepthAgainstOpenSSLVerify(t *testing.T) {
	openssl := needOpenSSL(t)
	for n := 0; n <= 3; n++ {
		c := testpki.NewChain(t, n, testpki.Spec{DNSNames: []string{"backend"}})
		dir := t.TempDir()
		root := testpki.WriteCerts(t, dir, "root.pem", c.Root.Cert)
		leaf := testpki.WriteCerts(t, dir, "leaf.pem", c.Leaf.Cert)
		chain := testpki.WriteCerts(t, dir, "chain.pem", c.Leaf.Intermediates...)
		for d := 0; d <= 3; d++ {
			args := []string{"verify", "-verify_depth", strconv.Itoa(d), "-CAfile", root}
			if n > 0 {
				args = append(args, "-untrusted", chain)
			}
			out, err := exec.Command(openssl, append(args, leaf)...).CombinedOutput()
			opensslOK := err == nil && strings.Contains(string(out), ": OK")
			v := chainVerifier{store: []*x509.Certificate{c.Root.Cert}, depth: d}
			code, _ := v.verify(c.Leaf.Chain(), time.Now())
			if (code == codeOK) != opensslOK {
				t.Errorf("%d intermediates, depth %d: strait code %d, openssl verify: %s", n, d, code, out)
			}
			if wantOK := n <= d; opensslOK != wantOK {
				t.Errorf("%d intermediates, depth %d: openssl verify ok=%v, expected %v", n, d, opensslOK, wantOK)
			}
		}
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Clean(p))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
