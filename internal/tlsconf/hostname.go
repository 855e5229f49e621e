package tlsconf

import (
	"crypto/x509"
	"net/netip"
	"strings"
)

// matchesName reports whether cert is valid for name, as OpenSSL's
// X509_check_host (nginx's check) does, plus IP SANs for IP literals:
//
//   - DNS SANs match case-insensitively; a "*" is allowed only as the
//     whole leftmost label and never matches an IP literal or a name with
//     fewer labels.
//   - The subject CN is consulted only when the certificate has no DNS SAN.
//   - An IP literal also matches an IP SAN. nginx cannot do that; strait
//     can, and keeps nginx's string match so that configurations that
//     worked with nginx still do.
func matchesName(cert *x509.Certificate, name string) bool {
	name = strings.TrimSuffix(name, ".")
	if name == "" {
		return false
	}
	if ip, err := netip.ParseAddr(strings.Trim(name, "[]")); err == nil {
		for _, san := range cert.IPAddresses {
			if a, ok := netip.AddrFromSlice(san); ok && a.Unmap() == ip.Unmap() {
				return true
			}
		}
		return stringMatch(cert, name, false)
	}
	return stringMatch(cert, name, true)
}

func stringMatch(cert *x509.Certificate, name string, wildcards bool) bool {
	if len(cert.DNSNames) > 0 {
		for _, pattern := range cert.DNSNames {
			if matchPattern(pattern, name, wildcards) {
				return true
			}
		}
		return false
	}
	// OpenSSL checks the most specific (last) CN only.
	return cert.Subject.CommonName != "" && matchPattern(cert.Subject.CommonName, name, wildcards)
}

func matchPattern(pattern, name string, wildcards bool) bool {
	pattern = strings.TrimSuffix(pattern, ".")
	if strings.EqualFold(pattern, name) {
		return true
	}
	rest, ok := strings.CutPrefix(pattern, "*.")
	if !ok || !wildcards || strings.Contains(rest, "*") {
		return false
	}
	// At least two labels after the wildcard: "*.com" matches nothing.
	if !strings.Contains(rest, ".") {
		return false
	}
	label, suffix, ok := strings.Cut(name, ".")
	return ok && label != "" && strings.EqualFold(suffix, rest)
}
