package tlsconf

import (
	"bytes"
	"crypto/x509"
	"strings"
)

// nameCheckMax is OpenSSL's NAME_CHECK_MAX: names × constraints above it
// fail outright, so a hostile certificate cannot make the check quadratic
// in a way that stalls handshakes.
const nameCheckMax = 1 << 20

// checkNameConstraints follows OpenSSL 3.0's check_name_constraints: from
// the top of the chain down, every certificate (self-issued ones skipped,
// except the leaf) is checked against the nameConstraints of every
// certificate above it, the trust anchor included. The leaf's subject CN
// is checked as a DNS name when the leaf has no DNS SAN.
func checkNameConstraints(chain []*x509.Certificate, facts []*certFacts, errs *errorList) {
	for i := len(chain) - 1; i >= 0; i-- {
		if i != 0 && selfIssued(chain[i]) {
			continue
		}
		for j := len(chain) - 1; j > i; j-- {
			nc := facts[j].nc
			if nc == nil {
				continue
			}
			code := ncCheck(chain[i], facts[i], nc)
			if code == codeOK && i == 0 && !hasSANType(facts[0], gnDNS) {
				code = ncCheckCN(chain[0], nc)
			}
			if code != codeOK {
				errs.add(code, i)
			}
		}
	}
}

func hasSANType(f *certFacts, tag int) bool {
	for _, g := range f.sans {
		if g.tag == tag {
			return true
		}
	}
	return false
}

// ncCheck is NAME_CONSTRAINTS_check: the subject DN, email attributes of
// the subject, then every subjectAltName entry.
func ncCheck(c *x509.Certificate, f *certFacts, nc *nameConstraints) int {
	rdns, err := parseName(c.RawSubject)
	if err != nil {
		return codeUnsupportedNameSyntax
	}
	entries := 0
	for _, rdn := range rdns {
		entries += len(rdn)
	}
	if names := entries + len(f.sans); names > 0 && nc.count() > nameCheckMax/names {
		return codeUnspecified
	}
	if entries > 0 {
		if code := ncMatch(generalName{tag: gnDirName, value: c.RawSubject}, nc); code != codeOK {
			return code
		}
		for _, rdn := range rdns {
			for _, a := range rdn {
				if !a.oid.Equal(oidEmailAttr) {
					continue
				}
				if a.value.Tag != tagIA5 {
					return codeUnsupportedNameSyntax
				}
				if code := ncMatch(generalName{tag: gnEmail, value: a.value.Bytes}, nc); code != codeOK {
					return code
				}
			}
		}
	}
	for _, g := range f.sans {
		if code := ncMatch(g, nc); code != codeOK {
			return code
		}
	}
	return codeOK
}

// ncCheckCN is NAME_CONSTRAINTS_check_CN: every CN that looks like a host
// name is matched as a dNSName.
func ncCheckCN(c *x509.Certificate, nc *nameConstraints) int {
	rdns, err := parseName(c.RawSubject)
	if err != nil {
		return codeUnsupportedNameSyntax
	}
	for _, rdn := range rdns {
		for _, a := range rdn {
			if !a.oid.Equal(oidCommonName) {
				continue
			}
			s, ok := asn1Text(a.value)
			if !ok {
				return codeUnsupportedNameSyntax
			}
			s = strings.TrimRight(s, "\x00")
			if strings.IndexByte(s, 0) >= 0 {
				return codeUnsupportedNameSyntax
			}
			if !looksLikeDNSName(s) {
				continue
			}
			if code := ncMatch(generalName{tag: gnDNS, value: []byte(s)}, nc); code != codeOK {
				return code
			}
		}
	}
	return codeOK
}

// looksLikeDNSName is cn2dnsid's test: letters, digits, '_', and inner
// '-' and '.', with at least one dot not next to another dot or a hyphen.
func looksLikeDNSName(s string) bool {
	dns := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' {
			continue
		}
		if i > 0 && i < len(s)-1 {
			if c == '-' {
				continue
			}
			if c == '.' && s[i+1] != '.' && s[i-1] != '-' && s[i+1] != '-' {
				dns = true
				continue
			}
		}
		return false
	}
	return dns
}

// ncMatch is nc_match: with permitted subtrees of the name's type, one
// must match; no excluded subtree of its type may match.
func ncMatch(g generalName, nc *nameConstraints) int {
	effective := g.tag
	if g.tag == gnOtherName && g.otherType.Equal(oidSmtpUTF8Mailbox) {
		effective = gnEmail
	}
	sameType := func(base generalName) bool {
		if base.tag != effective {
			return false
		}
		return effective != gnOtherName || base.otherType.Equal(g.otherType)
	}
	match := 0
	for _, sub := range nc.permitted {
		if !sameType(sub.base) {
			continue
		}
		if sub.minmaxBad {
			return codeSubtreeMinMax
		}
		if match == 2 {
			continue
		}
		match = 1
		switch r := ncMatchSingle(effective, g, sub.base); r {
		case codeOK:
			match = 2
		case codePermittedViolation:
		default:
			return r
		}
	}
	if match == 1 {
		return codePermittedViolation
	}
	for _, sub := range nc.excluded {
		if !sameType(sub.base) {
			continue
		}
		if sub.minmaxBad {
			return codeSubtreeMinMax
		}
		switch r := ncMatchSingle(effective, g, sub.base); r {
		case codeOK:
			return codeExcludedViolation
		case codePermittedViolation:
		default:
			return r
		}
	}
	return codeOK
}

func ncMatchSingle(effective int, g, base generalName) int {
	switch g.tag {
	case gnOtherName:
		if effective == gnEmail {
			return ncEmailEAI(g, base.value)
		}
		return codeUnsupportedConstraintType
	case gnDirName:
		return ncDirName(g.value, base.value)
	case gnDNS:
		return ncDNS(string(g.value), string(base.value))
	case gnEmail:
		return ncEmail(string(g.value), string(base.value))
	case gnURI:
		return ncURI(string(g.value), string(base.value))
	case gnIP:
		return ncIP(g.value, base.value)
	}
	return codeUnsupportedConstraintType
}

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
