package testpki

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"net"
	"net/url"
	"testing"
)

// constrained is a plan whose intermediate carries nc (critical) and
// whose leaf is leaf.
func constrained(nc NameConstraints, leaf Spec) plan {
	return std(func(p *plan) {
		p.inter[0].Mutate = ext(nc.Extension(true))
		p.leaf = leaf
	})
}

func permit(names ...GeneralName) NameConstraints  { return NameConstraints{Permitted: Sub(names...)} }
func exclude(names ...GeneralName) NameConstraints { return NameConstraints{Excluded: Sub(names...)} }

// withSAN is a leaf for backend that also carries the given names.
func withSAN(names ...GeneralName) Spec {
	all := append([]GeneralName{DNSName("backend")}, names...)
	return Spec{Mutate: ext(SubjectAltName(all...))}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// nameConstraintCases cover OpenSSL's NAME_CONSTRAINTS_check: DNS (with
// and without a leading dot), IP ranges, email, URI and directoryName,
// permitted and excluded, the subject common name of a leaf without DNS
// names, and the forms OpenSSL refuses to evaluate.
func nameConstraintCases(tb testing.TB) []HostileCase {
	allowedDot := permit(DNSName(".allowed.example"))
	allowed := permit(DNSName("allowed.example"))
	dns := func(n string) Spec { return Spec{DNSNames: []string{n}} }
	org := pkix.Name{Organization: []string{"strait test"}}
	cases := []HostileCase{
		newCase(tb, "nc_dns_dot_violation", constrained(allowedDot, backend), errPermitted, 0),
		newCase(tb, "nc_dns_dot_subdomain", constrained(allowedDot, dns("db.allowed.example")), 0, 0),
		newCase(tb, "nc_dns_dot_apex", constrained(allowedDot, dns("allowed.example")), errPermitted, 0),
		newCase(tb, "nc_dns_nodot_subdomain", constrained(allowed, dns("db.allowed.example")), 0, 0),
		newCase(tb, "nc_dns_nodot_apex", constrained(allowed, dns("allowed.example")), 0, 0),
		newCase(tb, "nc_dns_nodot_suffix_trick", constrained(allowed, dns("notallowed.example")), errPermitted, 0),
		newCase(tb, "nc_dns_excluded", constrained(exclude(DNSName("backend")), backend), errExcluded, 0),
		newCase(tb, "nc_dns_excluded_dot", constrained(exclude(DNSName(".example")), dns("db.backend.example")), errExcluded, 0),
		// crypto/x509's own encoding, not critical: still enforced.
		newCase(tb, "nc_dns_not_critical", std(func(p *plan) {
			p.inter[0].Mutate = func(t *x509.Certificate) { t.PermittedDNSDomains = []string{".allowed.example"} }
		}), errPermitted, 0),
		newCase(tb, "nc_dns_on_root", std(func(p *plan) { p.root.Mutate = ext(allowedDot.Extension(true)) }), errPermitted, 0),
		// Without a DNS SAN OpenSSL checks the subject CN, but only one
		// that looks like a host name with at least two labels.
		newCase(tb, "nc_dns_cn_only_dotted", constrained(allowedDot, Spec{CommonName: "backend.example"}), errPermitted, 0),
		newCase(tb, "nc_dns_cn_only_single_label", constrained(allowedDot, Spec{CommonName: "backend"}), 0, 0),
		newCase(tb, "nc_dns_cn_beside_ip_san", constrained(allowedDot,
			Spec{CommonName: "backend.example", IPs: []net.IP{net.IPv4(127, 0, 0, 1)}}), errPermitted, 0),
		newCase(tb, "nc_ip_permitted_violation", constrained(permit(CIDRName("10.0.0.0/8")),
			Spec{DNSNames: []string{"backend"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}}), errPermitted, 0),
		newCase(tb, "nc_ip_permitted_ok", constrained(permit(CIDRName("127.0.0.0/8")),
			Spec{DNSNames: []string{"backend"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}}), 0, 0),
		newCase(tb, "nc_ip_excluded", constrained(exclude(CIDRName("127.0.0.0/8")),
			Spec{DNSNames: []string{"backend"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}}), errExcluded, 0),
		newCase(tb, "nc_ipv6_excluded", constrained(exclude(CIDRName("::1/128")),
			Spec{DNSNames: []string{"backend"}, IPs: []net.IP{net.IPv6loopback}}), errExcluded, 0),
		newCase(tb, "nc_email_permitted_violation", constrained(permit(EmailName("allowed.example")),
			withSAN(EmailName("ops@backend.example"))), errPermitted, 0),
		newCase(tb, "nc_email_excluded", constrained(exclude(EmailName("backend.example")),
			withSAN(EmailName("ops@backend.example"))), errExcluded, 0),
		// The subject's emailAddress attribute is an email name too.
		newCase(tb, "nc_email_subject_attribute", constrained(permit(EmailName("allowed.example")),
			Spec{DNSNames: []string{"backend"}, Mutate: func(t *x509.Certificate) {
				t.Subject.ExtraNames = append(t.Subject.ExtraNames, EmailAttribute("ops@backend.example", true))
			}}), errPermitted, 0),
		// ... and one that is no IA5String fails under any constraint.
		newCase(tb, "nc_email_subject_attribute_utf8", constrained(permit(DNSName("backend")),
			Spec{DNSNames: []string{"backend"}, Mutate: func(t *x509.Certificate) {
				t.Subject.ExtraNames = append(t.Subject.ExtraNames, EmailAttribute("ops@backend.example", false))
			}}), errUnsupportedName, 0),
		newCase(tb, "nc_uri_permitted_violation", constrained(permit(URIName("allowed.example")),
			Spec{DNSNames: []string{"backend"}, URIs: []*url.URL{mustURL("https://backend.example/")}}), errPermitted, 0),
		newCase(tb, "nc_uri_excluded", constrained(exclude(URIName(".example")),
			Spec{DNSNames: []string{"backend"}, URIs: []*url.URL{mustURL("https://db.backend.example/")}}), errExcluded, 0),
		newCase(tb, "nc_uri_without_host", constrained(permit(URIName("allowed.example")),
			Spec{DNSNames: []string{"backend"}, URIs: []*url.URL{mustURL("urn:example:backend")}}), errUnsupportedName, 0),
		newCase(tb, "nc_dirname_permitted_violation", constrained(permit(DirName(pkix.Name{Organization: []string{"Allowed"}})), backend), errPermitted, 0),
		newCase(tb, "nc_dirname_excluded", constrained(exclude(DirName(org)), backend), errExcluded, 0),
		// A root's dirName constraint reaches the intermediate's subject
		// as well as the leaf's: one error for each.
		newCase(tb, "nc_dirname_excluded_on_root", std(func(p *plan) {
			p.root.Mutate = ext(exclude(DirName(org)).Extension(true))
		}), errExcluded, 0),
		newCase(tb, "nc_subtree_minimum", constrained(NameConstraints{Permitted: []Subtree{{Base: DNSName("backend"), Minimum: 1}}}, backend), errSubtreeMinMax, 0),
		newCase(tb, "nc_registered_id", constrained(permit(RegisteredIDName(asn1.ObjectIdentifier{1, 2, 3, 4})),
			withSAN(RegisteredIDName(asn1.ObjectIdentifier{1, 2, 3, 4}))), errUnsupportedNCType, 0),
	}
	return cases
}
