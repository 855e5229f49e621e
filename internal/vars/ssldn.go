package vars

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
)

// shortNames are OpenSSL's short names of the attribute types that appear
// in certificate names (OBJ_nid2sn).
var shortNames = map[string]string{
	"2.5.4.3": "CN", "2.5.4.4": "SN", "2.5.4.5": "serialNumber", "2.5.4.6": "C",
	"2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.9": "street", "2.5.4.10": "O",
	"2.5.4.11": "OU", "2.5.4.12": "title", "2.5.4.13": "description",
	"2.5.4.15": "businessCategory", "2.5.4.17": "postalCode", "2.5.4.41": "name",
	"2.5.4.42": "GN", "2.5.4.43": "initials", "2.5.4.44": "generationQualifier",
	"2.5.4.46": "dnQualifier", "2.5.4.65": "pseudonym", "2.5.4.97": "organizationIdentifier",
	"1.2.840.113549.1.9.1":       "emailAddress",
	"0.9.2342.19200300.100.1.25": "DC", "0.9.2342.19200300.100.1.1": "UID",
	"1.3.6.1.4.1.311.60.2.1.1": "jurisdictionL", "1.3.6.1.4.1.311.60.2.1.2": "jurisdictionST",
	"1.3.6.1.4.1.311.60.2.1.3": "jurisdictionC",
}

// appendDN writes a DER name as OpenSSL's X509_NAME_print_ex with
// XN_FLAG_RFC2253 does, which is how nginx fills $ssl_client_s_dn: the
// last RDN first, "," between RDNs and "+" inside one, short names,
// RFC 2253 escapes, bytes above 0x7f and control characters as \XX, and
// unknown attribute types as the dotted OID with the value's DER in hex.
func appendDN(dst, der []byte) []byte {
	var rdns []asn1.RawValue
	rest, err := asn1.Unmarshal(der, &rdns)
	if err != nil || len(rest) > 0 {
		return dst
	}
	for i := len(rdns) - 1; i >= 0; i-- {
		var set []pkix.AttributeTypeAndValue
		var raw []asn1.RawValue
		if _, err := asn1.UnmarshalWithParams(rdns[i].FullBytes, &raw, "set"); err != nil {
			continue
		}
		if _, err := asn1.UnmarshalWithParams(rdns[i].FullBytes, &set, "set"); err != nil {
			continue
		}
		if i != len(rdns)-1 {
			dst = append(dst, ',')
		}
		for j, atv := range set {
			if j > 0 {
				dst = append(dst, '+')
			}
			name, known := shortNames[atv.Type.String()]
			if !known {
				name = atv.Type.String()
			}
			dst = append(dst, name...)
			dst = append(dst, '=')
			s, isString := atv.Value.(string)
			if !known || !isString {
				dst = append(dst, '#')
				dst = hex.AppendEncode(dst, valueDER(raw[j].Bytes))
				continue
			}
			dst = appendEscaped2253(dst, s)
		}
	}
	return dst
}

// valueDER returns the DER of an AttributeTypeAndValue's value: what
// follows the type inside the SEQUENCE.
func valueDER(seq []byte) []byte {
	var oid asn1.RawValue
	rest, err := asn1.Unmarshal(seq, &oid)
	if err != nil {
		return nil
	}
	return rest
}

// appendEscaped2253 applies ASN1_STRFLGS_RFC2253 to a UTF-8 value.
func appendEscaped2253(dst []byte, s string) []byte {
	const digits = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x80 || c < 0x20 || c == 0x7f:
			dst = append(dst, '\\', digits[c>>4], digits[c&15])
		case c == ',' || c == '+' || c == '"' || c == '\\' || c == '<' || c == '>' || c == ';':
			dst = append(dst, '\\', c)
		case (c == '#' || c == ' ') && i == 0, c == ' ' && i == len(s)-1:
			dst = append(dst, '\\', c)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
