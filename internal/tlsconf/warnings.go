package tlsconf

import (
	"fmt"
	"strings"

	"github.com/straitproxy/strait/internal/config"
)

// Warnings lists risky but valid settings of s that only the TLS layer can
// judge, for `strait -t` and the startup log. (Verification turned off and
// deprecated protocol names are reported by internal/config, with the
// directive's position.) Invalid settings are NewClient's errors.
func Warnings(s config.ProxySSL) []string {
	if !s.Enabled {
		return nil
	}
	var w []string
	if !s.Verify {
		if s.TrustedCertificate != "" {
			w = append(w, "proxy_ssl_trusted_certificate has no effect without proxy_ssl_verify on")
		}
		if s.CRL != "" {
			w = append(w, "proxy_ssl_crl has no effect without proxy_ssl_verify on")
		}
	}
	_, _, holes, err := versionRange(s.Protocols)
	if err != nil {
		return w // NewClient reports it
	}
	if len(holes) > 0 {
		w = append(w, fmt.Sprintf("proxy_ssl_protocols %q leaves out %s, which strait enables too: Go's TLS takes a version range",
			strings.Join(s.Protocols, " "), strings.Join(holes, " ")))
	}
	return w
}
