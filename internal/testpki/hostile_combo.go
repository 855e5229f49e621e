package testpki

import (
	"crypto/x509"
	"math/big"
	"testing"
	"time"
)

// comboCases put two problems in one chain, where the order OpenSSL
// checks in decides which error nginx logs: the verify depth, CRLs,
// validity and trust together with the checks above.
func comboCases(tb testing.TB) []HostileCase {
	clientLeaf := func(p *plan) { p.leaf.Mutate = extKeyUsage(x509.ExtKeyUsageClientAuth) }
	crit := ext(UnknownExtension(true))

	// Two intermediates at the default depth 1, the lower one with an
	// unhandled critical extension.
	tooLong := newCase(tb, "too_long_and_critical_ext", std(func(p *plan) {
		p.inter = []Spec{{}, {Mutate: crit}}
	}), errUnhandledCritical, 1)
	tooLong.Depth = 1
	tooLongPurpose := newCase(tb, "too_long_and_bad_purpose", std(clientLeaf), errPurpose, 0)
	tooLongPurpose.Depth = 0

	// CRLs for every level, the leaf revoked, under a name constraint the
	// leaf violates.
	ncPlan := constrained(permit(DNSName(".allowed.example")), backend)
	revokedNC := ncPlan.chain(tb, "crl_revoked_and_name_constraint")
	rnc := fromChain("crl_revoked_and_name_constraint", revokedNC, errPermitted, 0)
	rnc.CRLs = [][]byte{revokedNC.Root.CRL(tb, CRLSpec{}),
		revokedNC.Issuer().CRL(tb, CRLSpec{Revoked: []*big.Int{revokedNC.Leaf.Cert.SerialNumber}})}

	// Only the root's CRL, and a client certificate as leaf.
	missing := std(clientLeaf).chain(tb, "crl_missing_and_bad_purpose")
	mcp := fromChain("crl_missing_and_bad_purpose", missing, errUnableToGetCRL, 0)
	mcp.CRLs = [][]byte{missing.Root.CRL(tb, CRLSpec{})}

	// A revoked SHA-1 intermediate at level 2.
	sha1 := std(func(p *plan) { p.root.Key, p.inter[0].Digest = RSA, SHA1 }).chain(tb, "crl_revoked_sha1_intermediate")
	rsi := fromChain("crl_revoked_sha1_intermediate", sha1, errRevoked, 1)
	rsi.CRLs = [][]byte{sha1.Root.CRL(tb, CRLSpec{Revoked: []*big.Int{sha1.Intermediates[0].Cert.SerialNumber}}),
		sha1.Issuer().CRL(tb, CRLSpec{})}

	dayAgo := time.Now().Add(-24 * time.Hour)
	expired := std(func(p *plan) {
		p.leaf.NotBefore, p.leaf.NotAfter, p.leaf.Mutate = dayAgo.Add(-time.Hour), dayAgo, crit
	})

	// A chain to a root that is not trusted, its intermediate with an
	// unhandled critical extension.
	untrusted := newCase(tb, "untrusted_and_critical_ext", inter(crit), errUnhandledCritical, 1)
	untrusted.Trusted = []*x509.Certificate{NewRoot(tb, Spec{CommonName: "untrusted_and_critical_ext other root"}).Cert}

	self := SelfSigned(tb, Spec{DNSNames: []string{"backend"}, Mutate: crit})
	selfSigned := fromChain("self_signed_and_critical_ext", &Chain{Root: &CA{Cert: self.Cert}, Leaf: self}, errUnhandledCritical, 0)
	selfSigned.Trusted = untrusted.Trusted

	// The root sent along with a name constraint violation below it.
	sentRoot := ncPlan.chain(tb, "root_sent_and_name_constraint")
	srnc := fromChain("root_sent_and_name_constraint", sentRoot, errPermitted, 0)
	srnc.Served = append(srnc.Served, sentRoot.Root.Cert)

	return []HostileCase{
		tooLong, tooLongPurpose, rnc, mcp, at(2, rsi),
		newCase(tb, "expired_and_critical_ext", expired, errCertHasExpired, 0),
		untrusted, selfSigned, srnc,
		at(2, newCase(tb, "sha1_intermediate_and_bad_purpose", std(clientLeaf, func(p *plan) {
			p.root.Key, p.inter[0].Digest = RSA, SHA1
		}), errCAMDTooWeak, 1)),
	}
}
