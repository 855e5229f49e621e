package pki

import (
	"fmt"
	"net"
	"strings"
)

// checkName accepts names that are safe as file names in the CA directory
// and cannot replace the CA's own files.
func checkName(name string) error {
	if name == "" {
		return fmt.Errorf("a certificate needs a name")
	}
	if len(name) > 64 {
		return fmt.Errorf("%.64s...: names are at most 64 characters (the limit of a subject CN)", name)
	}
	for i, c := range name {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			i > 0 && (c == '.' || c == '-' || c == '_')
		if !ok {
			return fmt.Errorf("%q: names are letters, digits and . - _ (not first)", name)
		}
	}
	switch name + ".crt" {
	case RootCertFile, IntermediateCertFile:
		return fmt.Errorf("%q: the name of the CA's own file", name)
	}
	return nil
}

// parseSANs splits subject alternative names into DNS names and IP
// addresses, refusing what no TLS client could match.
func parseSANs(sans []string) (dns []string, ips []net.IP, err error) {
	seen := map[string]bool{}
	for _, s := range sans {
		if seen[strings.ToLower(s)] {
			continue
		}
		seen[strings.ToLower(s)] = true
		if ip := net.ParseIP(s); ip != nil {
			ips = append(ips, ip)
			continue
		}
		if !validDNSName(s) {
			return nil, nil, fmt.Errorf("%q is neither a DNS name nor an IP address", s)
		}
		dns = append(dns, s)
	}
	return dns, ips, nil
}

// validDNSName accepts host names (RFC 1123 labels) with an optional
// leading "*." wildcard label.
func validDNSName(s string) bool {
	s = strings.TrimPrefix(s, "*.")
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
