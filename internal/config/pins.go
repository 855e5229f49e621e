package config

import (
	"crypto/sha256"
	"encoding/base64"

	"github.com/straitproxy/strait/internal/ngxconf"
)

// pinDirective is proxy_ssl_pin_sha256, a strait extension: the upstream
// is accepted only when a certificate of its verified chain has one of
// the given public keys, as Envoy's verify_certificate_spki and HPKP's
// pin-sha256. Every line adds to the set, so an old and a new key can be
// pinned side by side while a key is rotated.
func pinDirective() Directive {
	return Directive{Name: "proxy_ssl_pin_sha256", Contexts: streamSrv, Args: Arg1More, Syntax: "digest ...",
		Module: "strait", multi: true,
		Doc: "Extension: base64 SHA-256 digests of SubjectPublicKeyInfo (HPKP pin-sha256); a certificate of the verified chain must match one. Requires proxy_ssl_verify on.",
		Set: func(s *scope, d *ngxconf.Directive) error {
			ssl := &s.lvl.srv.SSL
			for _, a := range d.Args {
				pin, ok := parsePin(a.Value)
				if !ok {
					return errorf(d, "invalid value %q in %q directive, it must be a base64 SHA-256 digest", a.Value, d.Name)
				}
				ssl.Pins = append(ssl.Pins, pin)
			}
			ssl.PinPos = stmtPos(d)
			return nil
		},
		inherit: func(c, p *Server) { c.SSL.Pins, c.SSL.PinPos = p.SSL.Pins, p.SSL.PinPos }}
}

// parsePin decodes one pin: standard base64 with padding, as HPKP and
// `openssl ... | openssl dgst -sha256 -binary | base64` write it, of
// exactly 32 bytes.
func parsePin(s string) ([sha256.Size]byte, bool) {
	var pin [sha256.Size]byte
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != sha256.Size {
		return pin, false
	}
	copy(pin[:], b)
	return pin, true
}
