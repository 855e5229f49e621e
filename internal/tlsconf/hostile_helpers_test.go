package tlsconf

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/testpki"
)

// verifyContinues are the errors the verify callback of `openssl verify`
// (apps/verify.c in OpenSSL 3.0) lets pass, so that it reports the rest
// of the chain's errors; at any other error X509_verify_cert stops.
// nginx's callback lets every error pass, so strait's list goes on where
// `openssl verify` stops.
var verifyContinues = map[int]bool{
	43: true, // no explicit policy
	10: true, // certificate has expired
	18: true, // self-signed certificate
	24: true, // invalid CA certificate
	37: true, // invalid non-CA certificate (has CA markings)
	25: true, // path length constraint exceeded
	26: true, // unsuitable certificate purpose
	12: true, // CRL has expired
	11: true, // CRL is not yet valid
	34: true, // unhandled critical extension
	// Conformance errors of -x509_strict, which the tests never set.
	79: true, 80: true, 81: true, 82: true, 83: true, 84: true, 85: true, 86: true,
	87: true, 88: true, 89: true, 90: true, 91: true, 92: true, 93: true,
}

// opensslError is one "error N at D depth lookup: reason" line.
type opensslError struct {
	code, depth int
	reason      string
	crlPath     bool // "[CRL path]": an error of a CRL issuer's own chain
}

func (e opensslError) String() string { return fmt.Sprintf("%d@%d", e.code, e.depth) }

var verifyErrorLine = regexp.MustCompile(`(?m)^(\[CRL path\] )?error (\d+) at (\d+) depth lookup: (.*)$`)

// verifyOutcome is what `openssl verify` made of a case.
type verifyOutcome struct {
	errors []opensslError
	ok     bool   // printed "<file>: OK"
	output string // everything, for failure messages
}

// opensslVerify runs `openssl verify` the way nginx's OpenSSL checks an
// upstream for the case: purpose sslserver, the case's security level
// and depth, the trusted file as CAfile and everything the upstream
// sends as untrusted (as a TLS peer chain, leaf included).
func opensslVerify(t testing.TB, openssl string, h testpki.HostileCase) verifyOutcome {
	t.Helper()
	dir := t.TempDir()
	trusted, served, crls := h.WriteFiles(t, dir)
	leaf := testpki.WriteCerts(t, dir, "leaf.pem", h.Served[0])
	args := []string{"verify", "-purpose", "sslserver", "-auth_level", strconv.Itoa(h.Level),
		"-verify_depth", strconv.Itoa(h.Depth), "-CAfile", trusted, "-untrusted", served}
	if crls != "" {
		args = append(args, "-crl_check_all", "-CRLfile", crls)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, openssl, append(args, leaf)...).CombinedOutput()
	o := verifyOutcome{output: string(out), ok: strings.Contains(string(out), leaf+": OK")}
	for _, m := range verifyErrorLine.FindAllStringSubmatch(string(out), -1) {
		code, _ := strconv.Atoi(m[2])
		depth, _ := strconv.Atoi(m[3])
		o.errors = append(o.errors, opensslError{code: code, depth: depth, reason: m[4], crlPath: m[1] != ""})
	}
	return o
}

// hostileVerifier is strait's verifier configured as nginx is for h.
func hostileVerifier(t testing.TB, h testpki.HostileCase) chainVerifier {
	t.Helper()
	v := chainVerifier{store: h.Trusted, depth: h.Depth, level: h.Level, check: h.CRLs != nil}
	for _, p := range h.CRLs {
		for rest := p; ; {
			var b *pem.Block
			if b, rest = pem.Decode(rest); b == nil {
				break
			}
			crl, err := x509.ParseRevocationList(b.Bytes)
			if err != nil {
				t.Fatalf("parse CRL: %v", err)
			}
			v.crls = append(v.crls, crl)
		}
	}
	return v
}

// asOpenSSLVerify is strait's error list as `openssl verify` would print
// it: cut just after the first error its callback does not let pass.
func asOpenSSLVerify(errs errorList) []opensslError {
	var out []opensslError
	for i, c := range errs.codes {
		out = append(out, opensslError{code: c, depth: errs.depths[i]})
		if !verifyContinues[c] {
			break
		}
	}
	return out
}

func sameErrors(a, b []opensslError) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].code != b[i].code || a[i].depth != b[i].depth || a[i].crlPath {
			return false
		}
	}
	return true
}
