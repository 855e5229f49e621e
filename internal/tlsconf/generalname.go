package tlsconf

import (
	"encoding/asn1"
	"errors"
)

// GeneralName choices (RFC 5280 4.2.1.6), as context-specific tags.
const (
	gnOtherName = 0
	gnEmail     = 1
	gnDNS       = 2
	gnX400      = 3
	gnDirName   = 4
	gnEDIParty  = 5
	gnURI       = 6
	gnIP        = 7
	gnRegID     = 8
)

// oidSmtpUTF8Mailbox is the otherName type RFC 8398 uses for
// internationalised email addresses; OpenSSL matches it against rfc822Name
// constraints.
var oidSmtpUTF8Mailbox = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 8, 9}

// generalName is one GeneralName in its raw form: crypto/x509 drops the
// choices it does not model (otherName, directoryName, …), and OpenSSL's
// name constraints look at all of them.
type generalName struct {
	tag   int
	value []byte // IA5 text, IP octets, or the DER of a Name (directoryName)
	// otherName only: its type and the DER of its value.
	otherType  asn1.ObjectIdentifier
	otherValue asn1.RawValue
}

var errBadGeneralName = errors.New("malformed GeneralName")

// parseGeneralName reads one GeneralName from rv.
func parseGeneralName(rv asn1.RawValue) (generalName, error) {
	if rv.Class != asn1.ClassContextSpecific {
		return generalName{}, errBadGeneralName
	}
	g := generalName{tag: rv.Tag, value: rv.Bytes}
	switch rv.Tag {
	case gnOtherName:
		// OtherName ::= SEQUENCE { type-id OID, value [0] EXPLICIT ANY },
		// here with the SEQUENCE tag replaced by [0] IMPLICIT.
		rest, err := asn1.Unmarshal(rv.Bytes, &g.otherType)
		if err != nil {
			return g, errBadGeneralName
		}
		var wrapped asn1.RawValue
		if _, err := asn1.Unmarshal(rest, &wrapped); err != nil || wrapped.Tag != 0 {
			return g, errBadGeneralName
		}
		if _, err := asn1.Unmarshal(wrapped.Bytes, &g.otherValue); err != nil {
			return g, errBadGeneralName
		}
	case gnDirName:
		// [4] EXPLICIT Name: the content is the Name's own DER.
		var name asn1.RawValue
		if _, err := asn1.Unmarshal(rv.Bytes, &name); err != nil {
			return g, errBadGeneralName
		}
		g.value = name.FullBytes
	}
	return g, nil
}

// parseGeneralNames reads a GeneralNames SEQUENCE (a subjectAltName value).
func parseGeneralNames(der []byte) ([]generalName, error) {
	var seq asn1.RawValue
	if _, err := asn1.Unmarshal(der, &seq); err != nil || seq.Tag != asn1.TagSequence {
		return nil, errBadGeneralName
	}
	names := []generalName{}
	for rest := seq.Bytes; len(rest) > 0; {
		var rv asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &rv); err != nil {
			return nil, err
		}
		g, err := parseGeneralName(rv)
		if err != nil {
			return nil, err
		}
		names = append(names, g)
	}
	return names, nil
}

// generalSubtree is one permitted or excluded subtree.
type generalSubtree struct {
	base      generalName
	minmaxBad bool // a maximum, or a minimum other than 0 (OpenSSL supports neither)
}

type nameConstraints struct {
	permitted, excluded []generalSubtree
}

// parseNameConstraints reads a NameConstraints extension value.
func parseNameConstraints(der []byte) (*nameConstraints, error) {
	var seq asn1.RawValue
	if _, err := asn1.Unmarshal(der, &seq); err != nil || seq.Tag != asn1.TagSequence {
		return nil, errBadGeneralName
	}
	nc := &nameConstraints{}
	for rest := seq.Bytes; len(rest) > 0; {
		var part asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &part); err != nil {
			return nil, err
		}
		subtrees, err := parseSubtrees(part.Bytes)
		if err != nil {
			return nil, err
		}
		switch {
		case part.Class == asn1.ClassContextSpecific && part.Tag == 0:
			nc.permitted = subtrees
		case part.Class == asn1.ClassContextSpecific && part.Tag == 1:
			nc.excluded = subtrees
		default:
			return nil, errBadGeneralName
		}
	}
	return nc, nil
}

func parseSubtrees(der []byte) ([]generalSubtree, error) {
	var out []generalSubtree
	for rest := der; len(rest) > 0; {
		var st asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &st); err != nil {
			return nil, err
		}
		var baseRV asn1.RawValue
		inner, err := asn1.Unmarshal(st.Bytes, &baseRV)
		if err != nil {
			return nil, err
		}
		base, err := parseGeneralName(baseRV)
		if err != nil {
			return nil, err
		}
		sub := generalSubtree{base: base}
		for len(inner) > 0 {
			var f asn1.RawValue
			if inner, err = asn1.Unmarshal(inner, &f); err != nil {
				return nil, err
			}
			switch f.Tag {
			case 0: // minimum: only 0 is supported
				for _, b := range f.Bytes {
					if b != 0 {
						sub.minmaxBad = true
					}
				}
			default: // maximum
				sub.minmaxBad = true
			}
		}
		out = append(out, sub)
	}
	return out, nil
}

func (nc *nameConstraints) count() int { return len(nc.permitted) + len(nc.excluded) }
