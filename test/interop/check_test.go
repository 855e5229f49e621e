package interop

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/straitproxy/strait/internal/check"
	"github.com/straitproxy/strait/internal/cli"
	"github.com/straitproxy/strait/internal/metrics"
	"github.com/straitproxy/strait/internal/testpki"
)

// checkCase is one upstream and one server block, judged by a session and
// by strait check.
type checkCase struct {
	name string
	// setup returns the upstream's TLS settings and the block's proxy_ssl
	// directives (without proxy_ssl on, the client certificate and
	// proxy_pass), writing files to dir.
	setup func(t *testing.T, dir string) (*tls.Config, string)
	// anonymous leaves strait's client certificate out.
	anonymous bool
	// identity presents a client certificate from a CA the upstream does
	// not trust.
	foreignIdentity bool
}

// checkCases are the upstream TLS matrix of verify_test.go and the
// failures that matrix leaves to other tests: protocol and cipher
// mismatches, refused client certificates and pins.
func checkCases() []checkCase {
	var cases []checkCase
	for _, vc := range verifyCases() {
		cases = append(cases, checkCase{name: vc.name, setup: vc.setup})
	}
	backend := testpki.Spec{DNSNames: []string{"backend"}}
	plain := func(extra string, edit func(*tls.Config)) func(t *testing.T, dir string) (*tls.Config, string) {
		return func(t *testing.T, dir string) (*tls.Config, string) {
			c := testpki.NewChain(t, 1, backend)
			cfg := &tls.Config{Certificates: []tls.Certificate{c.Leaf.TLSCertificate()}}
			if edit != nil {
				edit(cfg)
			}
			trusted := testpki.WriteCerts(t, dir, "trusted.crt", c.Root.Cert)
			pins := strings.NewReplacer("{{leaf}}", pin(c.Leaf.Cert), "{{root}}", pin(c.Root.Cert),
				"{{other}}", pin(testpki.NewRoot(t, testpki.Spec{}).Cert))
			return cfg, fmt.Sprintf("proxy_ssl_verify on; proxy_ssl_trusted_certificate %s; proxy_ssl_name backend;\n    %s",
				trusted, pins.Replace(extra))
		}
	}
	tls12 := func(c *tls.Config) { c.MaxVersion = tls.VersionTLS12 }
	return append(cases,
		checkCase{name: "protocol_mismatch", setup: plain("proxy_ssl_protocols TLSv1.3;", tls12)},
		checkCase{name: "cipher_mismatch", setup: plain("proxy_ssl_protocols TLSv1.2; proxy_ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256;",
			func(c *tls.Config) {
				tls12(c)
				c.CipherSuites = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384}
			})},
		checkCase{name: "client_certificate_missing_tls13", setup: plain("", nil), anonymous: true},
		checkCase{name: "client_certificate_missing_tls12", setup: plain("proxy_ssl_protocols TLSv1.2;", nil), anonymous: true},
		checkCase{name: "client_certificate_untrusted_tls13", setup: plain("", nil), foreignIdentity: true},
		checkCase{name: "client_certificate_untrusted_tls12", setup: plain("proxy_ssl_protocols TLSv1.2;", nil), foreignIdentity: true},
		checkCase{name: "pin_leaf", setup: plain("proxy_ssl_pin_sha256 {{leaf}};", nil)},
		checkCase{name: "pin_root", setup: plain("proxy_ssl_pin_sha256 {{other}} {{root}};", nil)},
		checkCase{name: "pin_mismatch", setup: plain("proxy_ssl_pin_sha256 {{other}};", nil)},
	)
}

// setup is the block runVerifyCase writes for vc.
func (vc verifyCase) setup(t *testing.T, dir string) (*tls.Config, string) {
	leaf, trusted, crls := vc.peer(t)
	verify := vc.verify
	if verify == "" {
		verify = "on"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "proxy_ssl_verify %s;\n    proxy_ssl_trusted_certificate %s;\n", verify,
		testpki.WriteCerts(t, dir, "trusted.crt", trusted...))
	if len(crls) > 0 {
		fmt.Fprintf(&b, "    proxy_ssl_crl %s;\n", testpki.WriteFile(t, dir, "crl.pem", bytes.Join(crls, nil)))
	}
	if vc.sslName != "" {
		fmt.Fprintf(&b, "    proxy_ssl_name %s;\n", vc.sslName)
	}
	b.WriteString("    " + vc.extra)
	return &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate()}}, b.String()
}

func pin(c *x509.Certificate) string {
	sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// TestCheckAgreesWithSessions runs every case through a session of a real
// strait and through `strait check --json` on the same configuration,
// and requires the same verdict: the same error-log message, or success
// for both with the same $upstream_ssl_verify.
func TestCheckAgreesWithSessions(t *testing.T) {
	dir := t.TempDir()
	id := newClientIdentity(t, dir)
	foreign := newClientIdentity(t, t.TempDir())
	for _, cc := range checkCases() {
		t.Run(cc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			peerCfg, directives := cc.setup(t, dir)
			peer := startGoPeer(t, peerCfg, id.pool)
			switch {
			case cc.foreignIdentity:
				directives += "\n    " + foreign.directives()
			case !cc.anonymous:
				directives += "\n    " + id.directives()
			}
			ln, addr := listenAddr(t)
			st := startStrait(t, dir, fmt.Sprintf("server {\n    listen %s;\n    proxy_pass %s;\n    proxy_ssl on;\n    %s\n}\n",
				addr, peer.addr, directives), ln)

			reply := exchangeEcho(t, st.Addr(t), payload)
			rec := st.records(t, 1)[0]
			sessionErr := firstSessionError(st.Log.String())

			p := runCheck(t, dir)
			t.Logf("session: %q; check: ok=%v %q", sessionErr, p.OK, p.Error)
			if sessionErr == "" {
				if reply != payload || rec.Status != "200" {
					t.Fatalf("session: reply %q, record %+v, want the payload echoed", reply, rec)
				}
				if !p.OK || p.Error != "" || p.Verify != rec.Verify || p.TLS == nil || p.TLS.Protocol != rec.Protocol || p.TLS.Cipher != rec.Cipher {
					t.Errorf("session succeeded with %+v; check says %+v", rec, p)
				}
				return
			}
			if p.OK || p.Error != sessionErr {
				t.Errorf("verdicts differ:\nsession: %q\n  check: %q", sessionErr, p.Error)
			}
			if p.Verify != "" && rec.Verify != p.Verify {
				t.Errorf("$upstream_ssl_verify %q, check's verify %q", rec.Verify, p.Verify)
			}
			if cc.name == "pin_mismatch" {
				if a := peerAttempts(st, peer.addr); a.PinMismatch != 1 || a.Failed() != 1 {
					t.Errorf("attempts %+v, want one pin mismatch", a)
				}
			}
		})
	}
}

// sessionErrorRE takes the message out of an nginx-style error line.
var sessionErrorRE = regexp.MustCompile(`\[(?:error|crit)\] \d+#\d+: (?:\*\d+ )?(.*?)(?:, client: .*)?$`)

// firstSessionError is the message of the first error a session logged,
// "" when there was none.
func firstSessionError(log string) string {
	for _, l := range strings.Split(log, "\n") {
		if m := sessionErrorRE.FindStringSubmatch(l); m != nil {
			return m[1]
		}
	}
	return ""
}

// runCheck runs `strait check --json` on the configuration startStrait
// wrote in dir and returns its only peer.
func runCheck(t *testing.T, dir string) check.Peer {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.Main([]string{"check", "-p", dir, "-c", filepath.Join(dir, "strait.conf"), "--json"},
		cli.Env{Stdout: &out, Stderr: &errOut})
	var rep check.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("strait check exited %d: %v\nstdout: %s\nstderr: %s", code, err, out.String(), errOut.String())
	}
	if len(rep.Servers) != 1 || len(rep.Servers[0].Peers) != 1 {
		t.Fatalf("report has not exactly one server and peer:\n%s", out.String())
	}
	p := rep.Servers[0].Peers[0]
	if want := map[bool]int{true: 0, false: 1}[rep.OK]; code != want || rep.OK != p.OK {
		t.Errorf("exit status %d with ok=%v, peer ok=%v", code, rep.OK, p.OK)
	}
	return p
}

// peerAttempts is the attempt counters /metrics exports for addr.
func peerAttempts(st *strait, addr string) metrics.Attempts {
	for _, u := range st.Server.MetricsSnapshot().Upstreams {
		for _, p := range u.Peers {
			if p.Addr == addr {
				return p.Attempts
			}
		}
	}
	return metrics.Attempts{}
}
