package tlsconf

import (
	"crypto/tls"
	"fmt"
	"strings"

	"github.com/straitproxy/strait/internal/config"
)

// Warnings lists risky but valid settings of s, for `strait -t` and the
// startup log. Invalid settings are NewClient's errors, not warnings.
func Warnings(s config.ProxySSL) []string {
	if !s.Enabled {
		return nil
	}
	var w []string
	if !s.Verify {
		w = append(w, "proxy_ssl on without proxy_ssl_verify on: the upstream's identity is not verified")
		if s.TrustedCertificate != "" {
			w = append(w, "proxy_ssl_trusted_certificate has no effect without proxy_ssl_verify on")
		}
		if s.CRL != "" {
			w = append(w, "proxy_ssl_crl has no effect without proxy_ssl_verify on")
		}
	}
	lo, hi, holes, err := versionRange(s.Protocols)
	if err != nil {
		return w // NewClient reports it
	}
	if len(holes) > 0 {
		w = append(w, fmt.Sprintf("proxy_ssl_protocols %q leaves out %s, which strait enables too: Go's TLS takes a version range",
			strings.Join(s.Protocols, " "), strings.Join(holes, " ")))
	}
	for v := lo; v <= hi && v < tls.VersionTLS12; v++ {
		w = append(w, fmt.Sprintf("proxy_ssl_protocols enables %s, which is deprecated (RFC 8996)", protocolName(v)))
	}
	return w
}
