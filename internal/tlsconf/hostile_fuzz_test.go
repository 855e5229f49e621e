package tlsconf

import (
	"crypto/x509"
	"slices"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/testpki"
)

// FuzzVerifyMutatedChain replaces one certificate of a catalogue chain by
// mutated DER. The verifier must never panic, and it must never accept a
// chain `openssl verify` refuses: accepting more than nginx is the
// failure that matters, refusing more only costs availability (and the
// differential tests catch it for the catalogue).
//
// The seeds are the catalogue's certificates, one per case, so plain
// `go test` runs openssl only for the cases strait accepts; `go test
// -fuzz FuzzVerifyMutatedChain` explores from there.
func FuzzVerifyMutatedChain(f *testing.F) {
	cases := testpki.HostileCases(f)
	for i, h := range cases {
		pos := i % len(h.Served)
		f.Add(uint8(i), uint8(pos), h.Served[pos].Raw)
	}
	f.Fuzz(func(t *testing.T, which, pos uint8, der []byte) {
		h := cases[int(which)%len(cases)]
		c, err := x509.ParseCertificate(der)
		if err != nil {
			// crypto/tls refuses a peer certificate it cannot parse
			// before the verifier sees it.
			t.Skip("crypto/x509 cannot parse it")
		}
		h.Served = slices.Clone(h.Served)
		h.Served[int(pos)%len(h.Served)] = c
		v := hostileVerifier(t, h)
		if errs := v.verifyErrors(h.Served, time.Now()); len(errs.codes) > 0 {
			return
		}
		o := opensslVerify(t, needOpenSSL(t), h)
		if !o.ok {
			t.Errorf("strait accepts what openssl verify refuses (%v):\n%s", o.errors, o.output)
		}
	})
}
