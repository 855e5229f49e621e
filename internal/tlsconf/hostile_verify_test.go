package tlsconf

import (
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/testpki"
)

// TestHostileChainsAgainstOpenSSLVerify runs every catalogue case through
// `openssl verify` and strait's verifier. openssl prints each error its
// callback sees and stops at the first one it does not let pass; strait's
// list, cut at the same place, must be the same sequence of codes and
// depths, with the same reason strings, and strait must accept exactly
// the chains openssl accepts.
func TestHostileChainsAgainstOpenSSLVerify(t *testing.T) {
	openssl := needOpenSSL(t)
	for _, h := range testpki.HostileCases(t) {
		t.Run(h.Name, func(t *testing.T) {
			t.Parallel()
			o := opensslVerify(t, openssl, h)
			v := hostileVerifier(t, h)
			errs := v.verifyErrors(h.Served, time.Now())
			got := asOpenSSLVerify(errs)
			if len(o.errors) == 0 && !o.ok {
				t.Fatalf("openssl verify neither accepted nor reported an error:\n%s", o.output)
			}
			if !sameErrors(got, o.errors) {
				t.Errorf("strait reports %v (all: %v), openssl verify %v\n%s", got, asList(errs), o.errors, o.output)
			}
			if accepted := len(errs.codes) == 0; accepted != o.ok {
				t.Errorf("strait accepts: %v, openssl verify accepts: %v", accepted, o.ok)
			}
			for _, e := range o.errors {
				if r := verifyReason(e.code); r != e.reason {
					t.Errorf("reason for %d: strait %q, openssl %q", e.code, r, e.reason)
				}
			}
		})
	}
}

// TestHostileChainsVerdict checks strait's verdict, the last error, which
// nginx logs, against the catalogue's (taken from OpenSSL); it needs no
// openssl and so runs everywhere.
func TestHostileChainsVerdict(t *testing.T) {
	for _, h := range testpki.HostileCases(t) {
		t.Run(h.Name, func(t *testing.T) {
			v := hostileVerifier(t, h)
			errs := v.verifyErrors(h.Served, time.Now())
			code, depth := errs.last()
			if code != h.WantCode || depth != h.WantDepth {
				t.Errorf("strait: %d at depth %d (all: %v), OpenSSL: %d at depth %d",
					code, depth, asList(errs), h.WantCode, h.WantDepth)
			}
		})
	}
}

func asList(errs errorList) []opensslError {
	out := make([]opensslError, len(errs.codes))
	for i, c := range errs.codes {
		out[i] = opensslError{code: c, depth: errs.depths[i]}
	}
	return out
}
