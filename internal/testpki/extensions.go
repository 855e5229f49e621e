package testpki

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"net"
)

// Extensions crypto/x509 cannot write (or not in every form a hostile
// peer may send), built by hand for Spec.Mutate to put in
// ExtraExtensions. An ExtraExtensions entry replaces the extension
// crypto/x509 would have written with the same OID.
var (
	OIDUnknownExtension  = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 55555, 1}
	OIDNetscapeCertType  = asn1.ObjectIdentifier{2, 16, 840, 1, 113730, 1, 1}
	OIDPolicyConstraints = asn1.ObjectIdentifier{2, 5, 29, 36}
	OIDNameConstraints   = asn1.ObjectIdentifier{2, 5, 29, 30}
	OIDSubjectAltName    = asn1.ObjectIdentifier{2, 5, 29, 17}
	OIDSubjectKeyID      = asn1.ObjectIdentifier{2, 5, 29, 14}
	OIDAuthorityKeyID    = asn1.ObjectIdentifier{2, 5, 29, 35}
	OIDEmailAddress      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
)

// tlv is one DER element.
func tlv(class, tag int, compound bool, content []byte) []byte {
	der, err := asn1.Marshal(asn1.RawValue{Class: class, Tag: tag, IsCompound: compound, Bytes: content})
	if err != nil {
		panic(err) // only for lengths beyond anything a test builds
	}
	return der
}

func seq(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return tlv(asn1.ClassUniversal, asn1.TagSequence, true, b)
}

func mustMarshal(v any) []byte {
	der, err := asn1.Marshal(v)
	if err != nil {
		panic(err)
	}
	return der
}

// GeneralName is one DER GeneralName (RFC 5280 section 4.2.1.6).
type GeneralName []byte

func ctx(tag int, compound bool, content []byte) GeneralName {
	return tlv(asn1.ClassContextSpecific, tag, compound, content)
}

func EmailName(s string) GeneralName { return ctx(1, false, []byte(s)) }
func DNSName(s string) GeneralName   { return ctx(2, false, []byte(s)) }
func URIName(s string) GeneralName   { return ctx(6, false, []byte(s)) }

// IPName is an iPAddress GeneralName: an address for a subjectAltName, or
// with a mask (address || mask) for a name constraint.
func IPName(ip net.IP, mask net.IPMask) GeneralName {
	if v4 := ip.To4(); v4 != nil && (mask == nil || len(mask) == net.IPv4len) {
		ip = v4
	}
	return ctx(7, false, append(append([]byte{}, ip...), mask...))
}

// CIDRName is the name constraint for a CIDR such as "10.0.0.0/8".
func CIDRName(cidr string) GeneralName {
	_, n, err := net.ParseCIDR(cidr)
	if err != nil {
		panic(err)
	}
	return IPName(n.IP, n.Mask)
}

// DirName is a directoryName, which is explicitly tagged.
func DirName(n pkix.Name) GeneralName {
	return ctx(4, true, mustMarshal(n.ToRDNSequence()))
}

// RegisteredIDName is a registeredID, a name type OpenSSL cannot match
// against a constraint.
func RegisteredIDName(oid asn1.ObjectIdentifier) GeneralName {
	var rv asn1.RawValue
	if _, err := asn1.Unmarshal(mustMarshal(oid), &rv); err != nil {
		panic(err)
	}
	return ctx(8, false, rv.Bytes)
}

// Subtree is a GeneralSubtree. RFC 5280 requires minimum 0 and no
// maximum; OpenSSL refuses anything else ("name constraints minimum and
// maximum not supported").
type Subtree struct {
	Base       GeneralName
	Minimum    int
	Maximum    int
	HasMaximum bool
}

// NameConstraints is the nameConstraints extension, in any form.
type NameConstraints struct {
	Permitted, Excluded []Subtree
}

// Sub is a GeneralSubtree without minimum or maximum, as RFC 5280 wants.
func Sub(names ...GeneralName) []Subtree {
	var out []Subtree
	for _, n := range names {
		out = append(out, Subtree{Base: n})
	}
	return out
}

func subtrees(tag int, list []Subtree) []byte {
	if len(list) == 0 {
		return nil
	}
	var b []byte
	for _, s := range list {
		var minmax []byte
		if s.Minimum != 0 {
			minmax = append(minmax, ctx(0, false, mustMarshal(s.Minimum)[2:])...)
		}
		if s.HasMaximum {
			minmax = append(minmax, ctx(1, false, mustMarshal(s.Maximum)[2:])...)
		}
		b = append(b, seq(s.Base, minmax)...)
	}
	return ctx(tag, true, b)
}

// Extension encodes nc; OpenSSL enforces it whether critical or not.
func (nc NameConstraints) Extension(critical bool) pkix.Extension {
	return pkix.Extension{Id: OIDNameConstraints, Critical: critical,
		Value: seq(subtrees(0, nc.Permitted), subtrees(1, nc.Excluded))}
}

// SubjectAltName is a subjectAltName with any kind of names.
func SubjectAltName(names ...GeneralName) pkix.Extension {
	var b [][]byte
	for _, n := range names {
		b = append(b, n)
	}
	return pkix.Extension{Id: OIDSubjectAltName, Value: seq(b...)}
}

// UnknownExtension is an extension no verifier knows. Critical, RFC 5280
// requires a verifier to refuse the certificate.
func UnknownExtension(critical bool) pkix.Extension {
	return pkix.Extension{Id: OIDUnknownExtension, Critical: critical, Value: asn1.NullBytes}
}

// Netscape certificate type bits (the first octet of the BIT STRING).
const (
	NSSSLClient byte = 0x80
	NSSSLServer byte = 0x40
	NSSMIME     byte = 0x20
	NSObjSign   byte = 0x10
	NSSSLCA     byte = 0x04
	NSSMIMECA   byte = 0x02
	NSObjSignCA byte = 0x01
)

// NetscapeCertType is the nsCertType extension, which OpenSSL still
// honours when it is present.
func NetscapeCertType(bits byte, critical bool) pkix.Extension {
	return pkix.Extension{Id: OIDNetscapeCertType, Critical: critical,
		Value: mustMarshal(asn1.BitString{Bytes: []byte{bits}, BitLength: 8})}
}

// PolicyConstraints is the policyConstraints extension; a negative value
// leaves that field out.
func PolicyConstraints(requireExplicit, inhibitMapping int, critical bool) pkix.Extension {
	var b [][]byte
	if requireExplicit >= 0 {
		b = append(b, ctx(0, false, mustMarshal(requireExplicit)[2:]))
	}
	if inhibitMapping >= 0 {
		b = append(b, ctx(1, false, mustMarshal(inhibitMapping)[2:]))
	}
	return pkix.Extension{Id: OIDPolicyConstraints, Critical: critical, Value: seq(b...)}
}

// SubjectKeyID and AuthorityKeyID are the key identifier extensions,
// which RFC 5280 says must not be critical.
func SubjectKeyID(id []byte, critical bool) pkix.Extension {
	return pkix.Extension{Id: OIDSubjectKeyID, Critical: critical, Value: mustMarshal(id)}
}

func AuthorityKeyID(id []byte, critical bool) pkix.Extension {
	return pkix.Extension{Id: OIDAuthorityKeyID, Critical: critical, Value: seq(ctx(0, false, id))}
}

// EmailAttribute is a subject emailAddress attribute. RFC 5280 wants an
// IA5String; OpenSSL refuses any other string type once name constraints
// apply ("unsupported or invalid name syntax").
func EmailAttribute(addr string, ia5 bool) pkix.AttributeTypeAndValue {
	var v any = addr
	if ia5 {
		v = asn1.RawValue{Tag: asn1.TagIA5String, Bytes: []byte(addr)}
	}
	return pkix.AttributeTypeAndValue{Type: OIDEmailAddress, Value: v}
}
