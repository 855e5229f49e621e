package tlsconf

import (
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
