package tlsconf

import (
	"context"
	"crypto/tls"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/testpki"
)

// sClientOutcome is what `openssl s_client` made of a case's upstream.
type sClientOutcome struct {
	errors    []opensslError // every error its (always continuing) callback saw
	code      int            // "Verify return code", -1 if none
	reason    string         // its reason text
	handshake bool           // the handshake completed
	output    string
}

var (
	sClientDepth = regexp.MustCompile(`^depth=(\d+) `)
	sClientError = regexp.MustCompile(`^verify error:num=(\d+):(.*)$`)
)

// opensslSClient connects `openssl s_client` to a crypto/tls server
// serving the case's chain, configured as nginx is for the case: CAfile
// (with the CRLs, as proxy_ssl_crl adds them to the same store), CRL
// checks on every level, the verify depth, tlsLevel as @SECLEVEL (what
// nginx's proxy_ssl_ciphers sets) and the case's level as -auth_level.
// s_client's callback, like nginx's, lets every error pass and prints it
// after the depth of the certificate concerned.
func opensslSClient(t *testing.T, openssl string, h testpki.HostileCase, tlsLevel int) sClientOutcome {
	t.Helper()
	dir := t.TempDir()
	trusted, _, crls := h.WriteFiles(t, dir)
	args := []string{"s_client", "-connect", "", "-verify_depth", strconv.Itoa(h.Depth),
		"-auth_level", strconv.Itoa(h.Level), "-cipher", fmt.Sprintf("DEFAULT:@SECLEVEL=%d", tlsLevel)}
	if crls != "" {
		both := append(mustRead(t, trusted), mustRead(t, crls)...)
		trusted = testpki.WriteFile(t, dir, "trusted+crls.pem", both)
		args = append(args, "-crl_check_all")
	}
	args = append(args, "-CAfile", trusted)
	srv := startServer(t, &tls.Config{Certificates: []tls.Certificate{h.TLSCertificate()}})
	args[2] = srv.addr
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, openssl, args...).CombinedOutput()
	o := sClientOutcome{code: -1, output: string(out)}
	if m := verifyReturnCode.FindSubmatch(out); m != nil {
		o.code, _ = strconv.Atoi(string(m[1]))
		o.reason = string(m[2])
	}
	depth := -1
	for _, line := range strings.Split(o.output, "\n") {
		if m := sClientDepth.FindStringSubmatch(line); m != nil {
			depth, _ = strconv.Atoi(m[1])
		} else if m := sClientError.FindStringSubmatch(line); m != nil {
			code, _ := strconv.Atoi(m[1])
			o.errors = append(o.errors, opensslError{code: code, depth: depth, reason: m[2]})
		}
	}
	o.handshake = strings.Contains(o.output, ", Cipher is ") && !strings.Contains(o.output, "Cipher is (NONE)")
	return o
}

// TestHostileChainsAgainstOpenSSLClient connects `openssl s_client` to
// each catalogue chain. Its callback, like nginx's, lets every error pass:
// the errors it prints must be strait's whole list, and the last one, the
// "Verify return code" that nginx logs, must be the catalogue's verdict.
func TestHostileChainsAgainstOpenSSLClient(t *testing.T) {
	openssl := needOpenSSL(t)
	for _, h := range testpki.HostileCases(t) {
		t.Run(h.Name, func(t *testing.T) {
			t.Parallel()
			o := opensslSClient(t, openssl, h, h.Level)
			if h.TLSRefused {
				if o.handshake {
					t.Errorf("s_client completed the handshake at level %d; the catalogue says OpenSSL refuses it", h.Level)
				}
				// What verification makes of the chain, were the TLS
				// layer to let it through.
				o = opensslSClient(t, openssl, h, 0)
			}
			if !o.handshake {
				t.Fatalf("s_client did not complete the handshake:\n%s", o.output)
			}
			last := opensslError{}
			if len(o.errors) > 0 {
				last = o.errors[len(o.errors)-1]
			}
			if last.code != o.code {
				t.Fatalf("s_client's last error %v is not its verify result %d:\n%s", last, o.code, o.output)
			}
			if last.code != h.WantCode || last.depth != h.WantDepth {
				t.Errorf("s_client: %v (%s), the catalogue expects %d@%d", last, o.reason, h.WantCode, h.WantDepth)
			}
			v := hostileVerifier(t, h)
			if errs := asList(v.verifyErrors(h.Served, time.Now())); !sameErrors(errs, o.errors) {
				t.Errorf("strait: %v, s_client: %v", errs, o.errors)
			}
			for _, e := range o.errors {
				if r := verifyReason(e.code); r != e.reason {
					t.Errorf("reason for %d: strait %q, s_client %q", e.code, r, e.reason)
				}
			}
		})
	}
}
