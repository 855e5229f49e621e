package tlsconf

import (
	"bytes"
	"encoding/asn1"
	"errors"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// ASN.1 string tags whose values OpenSSL canonicalises in names
// (ASN1_MASK_CANON) and the ones it converts to UTF-8.
const (
	tagUTF8      = 12
	tagPrintable = 19
	tagT61       = 20
	tagIA5       = 22
	tagVisible   = 26
	tagUniversal = 28
	tagBMP       = 30
)

var oidCommonName = asn1.ObjectIdentifier{2, 5, 4, 3}
var oidEmailAttr = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}

// nameAttr is one AttributeTypeAndValue of a distinguished name.
type nameAttr struct {
	oid   asn1.ObjectIdentifier
	value asn1.RawValue
}

type attrTV struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

var errBadName = errors.New("malformed name")

// parseName splits the DER of a Name into its RDNs.
func parseName(der []byte) ([][]nameAttr, error) {
	var seq asn1.RawValue
	if _, err := asn1.Unmarshal(der, &seq); err != nil || seq.Tag != asn1.TagSequence {
		return nil, errBadName
	}
	var rdns [][]nameAttr
	for rest := seq.Bytes; len(rest) > 0; {
		var set asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &set); err != nil || set.Tag != asn1.TagSet {
			return nil, errBadName
		}
		var rdn []nameAttr
		for in := set.Bytes; len(in) > 0; {
			var tv attrTV
			if in, err = asn1.Unmarshal(in, &tv); err != nil {
				return nil, errBadName
			}
			rdn = append(rdn, nameAttr{oid: tv.Type, value: tv.Value})
		}
		rdns = append(rdns, rdn)
	}
	return rdns, nil
}

// canonicalName is OpenSSL's canonical encoding of a Name (x509_name_canon):
// each RDN's SET re-encoded with string values turned into trimmed,
// space-collapsed, lower-cased UTF8Strings, concatenated without the outer
// SEQUENCE. A directoryName constraint matches when its canonical encoding
// is a prefix of the name's.
func canonicalName(der []byte) ([]byte, error) {
	rdns, err := parseName(der)
	if err != nil {
		return nil, err
	}
	var out []byte
	for _, rdn := range rdns {
		var members [][]byte
		for _, a := range rdn {
			v := a.value.FullBytes
			if s, ok := asn1Text(a.value); ok {
				v, _ = asn1.MarshalWithParams(canonText(s), "utf8")
			}
			oid, _ := asn1.Marshal(a.oid)
			members = append(members, tlv(asn1.TagSequence, true, append(oid, v...)))
		}
		// DER orders the members of a SET by their encodings.
		slices.SortFunc(members, bytes.Compare)
		out = append(out, tlv(asn1.TagSet, true, bytes.Join(members, nil))...)
	}
	return out, nil
}

// tlv encodes a universal-class element.
func tlv(tag int, constructed bool, content []byte) []byte {
	b, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassUniversal, Tag: tag, IsCompound: constructed, Bytes: content})
	return b
}

// asn1Text converts a string value to UTF-8 as ASN1_STRING_to_UTF8 does;
// ok is false for values that are not one of the canonicalised types.
func asn1Text(v asn1.RawValue) (string, bool) {
	if v.Class != asn1.ClassUniversal {
		return "", false
	}
	switch v.Tag {
	case tagUTF8, tagPrintable, tagIA5, tagVisible:
		return string(v.Bytes), true
	case tagT61: // OpenSSL reads T61String as Latin-1
		var sb strings.Builder
		for _, b := range v.Bytes {
			sb.WriteRune(rune(b))
		}
		return sb.String(), true
	case tagBMP:
		u := make([]uint16, len(v.Bytes)/2)
		for i := range u {
			u[i] = uint16(v.Bytes[2*i])<<8 | uint16(v.Bytes[2*i+1])
		}
		return string(utf16.Decode(u)), true
	case tagUniversal:
		var sb strings.Builder
		for i := 0; i+3 < len(v.Bytes); i += 4 {
			r := rune(v.Bytes[i])<<24 | rune(v.Bytes[i+1])<<16 | rune(v.Bytes[i+2])<<8 | rune(v.Bytes[i+3])
			if !utf8.ValidRune(r) {
				r = utf8.RuneError
			}
			sb.WriteRune(r)
		}
		return sb.String(), true
	}
	return "", false
}

// canonText is asn1_string_canon: leading and trailing white space
// removed, inner runs collapsed to one space, ASCII lower-cased.
func canonText(s string) string {
	isSpace := func(c byte) bool { return c == ' ' || (c >= '\t' && c <= '\r') }
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	var sb strings.Builder
	for k := i; k < j; k++ {
		c := s[k]
		if isSpace(c) {
			for k+1 < j && isSpace(s[k+1]) {
				k++
			}
			sb.WriteByte(' ')
			continue
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		sb.WriteByte(c)
	}
	return sb.String()
}
