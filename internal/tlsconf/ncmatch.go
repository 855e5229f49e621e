package tlsconf

import (
	"bytes"
	"strings"
)

// The matchers of one name against one constraint of its type, as
// OpenSSL 3.0's v3_ncons.c has them: codeOK for a match,
// codePermittedViolation for none, another code when the name or the
// constraint cannot be judged.

func ncDirName(name, base []byte) int {
	n, err1 := canonicalName(name)
	b, err2 := canonicalName(base)
	if err1 != nil || err2 != nil {
		return codeUnsupportedNameSyntax
	}
	if len(b) > len(n) || !bytes.Equal(b, n[:len(b)]) {
		return codePermittedViolation
	}
	return codeOK
}

// ncDNS: an empty base matches everything; otherwise the name must equal
// the base or end with it on a label boundary (a base with a leading dot
// needs at least one more label).
func ncDNS(dns, base string) int {
	if base == "" {
		return codeOK
	}
	if len(dns) < len(base) {
		return codePermittedViolation
	}
	tail := dns[len(dns)-len(base):]
	if len(dns) > len(base) && base[0] != '.' && dns[len(dns)-len(base)-1] != '.' {
		return codePermittedViolation
	}
	if !strings.EqualFold(tail, base) {
		return codePermittedViolation
	}
	return codeOK
}

// ncEmail: ".domain" matches any address in a subdomain; "user@host" the
// exact mailbox (local part case-sensitive); "host" any mailbox at host.
func ncEmail(eml, base string) int {
	emlAt := strings.LastIndexByte(eml, '@')
	if emlAt < 0 {
		return codeUnsupportedNameSyntax
	}
	baseAt := strings.LastIndexByte(base, '@')
	if baseAt < 0 && base != "" && base[0] == '.' {
		if len(eml) > len(base) && strings.EqualFold(eml[len(eml)-len(base):], base) {
			return codeOK
		}
		return codePermittedViolation
	}
	baseHost := base
	if baseAt >= 0 {
		if baseAt > 0 {
			if baseAt != emlAt {
				return codePermittedViolation
			}
			if strings.IndexByte(base[:baseAt], 0) >= 0 || strings.IndexByte(eml[:emlAt], 0) >= 0 {
				return codeUnsupportedNameSyntax
			}
			if base[:baseAt] != eml[:emlAt] {
				return codePermittedViolation
			}
		}
		baseHost = base[baseAt+1:]
	}
	if !strings.EqualFold(baseHost, eml[emlAt+1:]) {
		return codePermittedViolation
	}
	return codeOK
}

// ncEmailEAI matches an SmtpUTF8Mailbox otherName against an rfc822Name
// constraint. Only ASCII constraint hosts are compared here; a constraint
// host in punycode (A-labels) would need IDNA conversion and is refused.
func ncEmailEAI(g generalName, base []byte) int {
	if bytes.IndexByte(base, 0) >= 0 || g.otherValue.Tag != tagUTF8 {
		return codeUnsupportedNameSyntax
	}
	if bytes.Contains(bytes.ToLower(base), []byte("xn--")) {
		return codeUnspecified
	}
	eml := string(g.otherValue.Bytes)
	emlAt := strings.LastIndexByte(eml, '@')
	if emlAt < 0 {
		return codeUnsupportedNameSyntax
	}
	b := string(base)
	if b != "" && b[0] == '.' {
		if len(eml) > len(b) && strings.EqualFold(eml[len(eml)-len(b):], b) {
			return codeOK
		}
		return codePermittedViolation
	}
	host := b
	if at := strings.IndexByte(b, '@'); at >= 0 {
		if at > 0 && b[:at] != eml[:emlAt] {
			return codePermittedViolation
		}
		host = b[at+1:]
	}
	if !strings.EqualFold(host, eml[emlAt+1:]) {
		return codePermittedViolation
	}
	return codeOK
}

// ncURI matches the host part of "scheme://host[:port][/…]".
func ncURI(uri, base string) int {
	colon := strings.IndexByte(uri, ':')
	if colon < 0 || len(uri)-colon < 3 || uri[colon+1] != '/' || uri[colon+2] != '/' {
		return codeUnsupportedNameSyntax
	}
	host := uri[colon+3:]
	if end := strings.IndexByte(host, ':'); end >= 0 {
		host = host[:end]
	} else if end := strings.IndexByte(host, '/'); end >= 0 {
		host = host[:end]
	}
	if host == "" {
		return codeUnsupportedNameSyntax
	}
	if base != "" && base[0] == '.' {
		if len(host) > len(base) && strings.EqualFold(host[len(host)-len(base):], base) {
			return codeOK
		}
		return codePermittedViolation
	}
	if !strings.EqualFold(host, base) {
		return codePermittedViolation
	}
	return codeOK
}

// ncIP matches an address against address+mask; IPv4 never matches IPv6.
func ncIP(ip, base []byte) int {
	if len(ip) != 4 && len(ip) != 16 {
		return codeUnsupportedNameSyntax
	}
	if len(base) != 8 && len(base) != 32 {
		return codeUnsupportedNameSyntax
	}
	if len(ip)*2 != len(base) {
		return codePermittedViolation
	}
	mask := base[len(ip):]
	for i := range ip {
		if ip[i]&mask[i] != base[i]&mask[i] {
			return codePermittedViolation
		}
	}
	return codeOK
}
