package testpki

import (
	"crypto/x509"
	"testing"
)

// Mutate hooks for key usage, extended key usage and basic constraints.
func keyUsage(ku x509.KeyUsage) func(*x509.Certificate) {
	return func(t *x509.Certificate) { t.KeyUsage = ku }
}

func extKeyUsage(eku ...x509.ExtKeyUsage) func(*x509.Certificate) {
	return func(t *x509.Certificate) { t.ExtKeyUsage = eku }
}

func noBasicConstraints(t *x509.Certificate) { t.BasicConstraintsValid, t.IsCA = false, false }

func notCA(t *x509.Certificate) { t.IsCA = false }

func pathLen(n int) func(*x509.Certificate) {
	return func(t *x509.Certificate) { t.MaxPathLen, t.MaxPathLenZero = n, n == 0 }
}

// inter, leafWith and rootWith put a Mutate hook on one level of std().
func inter(f func(*x509.Certificate)) plan {
	return std(func(p *plan) { p.inter[0].Mutate = f })
}

func leafWith(f func(*x509.Certificate)) plan {
	return std(func(p *plan) { p.leaf.Mutate = f })
}

func rootWith(f func(*x509.Certificate)) plan {
	return std(func(p *plan) { p.root.Mutate = f })
}

// extensionCases are extensions OpenSSL does not know, or knows but does
// not enforce by default, at every level of the chain. Critical key
// identifiers are missing: OpenSSL accepts them, but crypto/x509 refuses
// to parse such a certificate, so no crypto/tls client gets that far.
func extensionCases(tb testing.TB) []HostileCase {
	crit := ext(UnknownExtension(true))
	return []HostileCase{
		newCase(tb, "critical_unknown_ext_leaf", leafWith(crit), errUnhandledCritical, 0),
		newCase(tb, "critical_unknown_ext_intermediate", inter(crit), errUnhandledCritical, 1),
		newCase(tb, "critical_unknown_ext_root", rootWith(crit), errUnhandledCritical, 2),
		newCase(tb, "unknown_ext_not_critical", leafWith(ext(UnknownExtension(false))), 0, 0),
		// OpenSSL checks policies only with -policy_check, which nginx
		// never sets: a critical requireExplicitPolicy is accepted.
		newCase(tb, "critical_policy_constraints_intermediate", inter(ext(PolicyConstraints(0, -1, true))), 0, 0),
		newCase(tb, "critical_policy_constraints_leaf", leafWith(ext(PolicyConstraints(0, 0, true))), 0, 0),
		newCase(tb, "critical_nscerttype_server", leafWith(ext(NetscapeCertType(NSSSLServer, true))), 0, 0),
	}
}

// usageCases are keyUsage, extendedKeyUsage, nsCertType and
// basicConstraints at each level, as OpenSSL's sslserver purpose and
// check_chain_extensions read them.
func usageCases(tb testing.TB) []HostileCase {
	two := func(f func(*plan)) plan {
		return std(func(p *plan) { p.inter = []Spec{{}, {}} }, f)
	}
	return []HostileCase{
		newCase(tb, "leaf_ku_certsign_only", leafWith(keyUsage(x509.KeyUsageCertSign)), errPurpose, 0),
		newCase(tb, "leaf_ku_keyagreement_only", leafWith(keyUsage(x509.KeyUsageKeyAgreement)), 0, 0),
		newCase(tb, "leaf_eku_clientauth", leafWith(extKeyUsage(x509.ExtKeyUsageClientAuth)), errPurpose, 0),
		newCase(tb, "leaf_eku_any_only", leafWith(extKeyUsage(x509.ExtKeyUsageAny)), errPurpose, 0),
		newCase(tb, "leaf_eku_any_and_server", leafWith(extKeyUsage(x509.ExtKeyUsageAny, x509.ExtKeyUsageServerAuth)), 0, 0),
		newCase(tb, "leaf_eku_codesigning", leafWith(extKeyUsage(x509.ExtKeyUsageCodeSigning)), errPurpose, 0),
		newCase(tb, "leaf_eku_netscape_sgc", leafWith(extKeyUsage(x509.ExtKeyUsageNetscapeServerGatedCrypto)), 0, 0),
		newCase(tb, "leaf_eku_microsoft_sgc", leafWith(extKeyUsage(x509.ExtKeyUsageMicrosoftServerGatedCrypto)), 0, 0),
		newCase(tb, "leaf_no_ku_no_eku", leafWith(both(keyUsage(0), extKeyUsage())), 0, 0),
		newCase(tb, "leaf_nscerttype_client", leafWith(ext(NetscapeCertType(NSSSLClient, false))), errPurpose, 0),
		newCase(tb, "leaf_is_ca", leafWith(func(t *x509.Certificate) {
			t.BasicConstraintsValid, t.IsCA = true, true
			t.KeyUsage |= x509.KeyUsageCertSign
		}), 0, 0),
		newCase(tb, "intermediate_eku_clientauth", inter(extKeyUsage(x509.ExtKeyUsageClientAuth)), errPurpose, 1),
		newCase(tb, "intermediate_eku_any_only", inter(extKeyUsage(x509.ExtKeyUsageAny)), errPurpose, 1),
		newCase(tb, "intermediate_eku_serverauth", inter(extKeyUsage(x509.ExtKeyUsageServerAuth)), 0, 0),
		newCase(tb, "intermediate_ku_without_certsign", inter(keyUsage(x509.KeyUsageDigitalSignature|x509.KeyUsageCRLSign)), errKUNoCertSign, 1),
		newCase(tb, "intermediate_no_basic_constraints", inter(noBasicConstraints), errInvalidCA, 1),
		newCase(tb, "intermediate_not_ca", inter(notCA), errPurpose, 1),
		newCase(tb, "intermediate_nscerttype_sslca_no_bc", inter(both(noBasicConstraints, keyUsage(0),
			ext(NetscapeCertType(NSSSLCA, false)))), errInvalidCA, 1),
		newCase(tb, "intermediate_nscerttype_objsign_ca", inter(ext(NetscapeCertType(NSObjSignCA, false))), 0, 0),
		newCase(tb, "intermediate_v1", std(func(p *plan) { p.inter[0].Version1 = true }), errPurpose, 1),
		newCase(tb, "root_no_bc_with_ku", rootWith(noBasicConstraints), 0, 0),
		newCase(tb, "root_no_bc_no_ku", rootWith(both(noBasicConstraints, keyUsage(0))), errPurpose, 2),
		newCase(tb, "root_ku_without_certsign", rootWith(keyUsage(x509.KeyUsageDigitalSignature)), errKUNoCertSign, 2),
		newCase(tb, "root_eku_clientauth", rootWith(extKeyUsage(x509.ExtKeyUsageClientAuth)), errPurpose, 2),
		newCase(tb, "root_v1", std(func(p *plan) { p.root.Version1 = true }), 0, 0),
		newCase(tb, "pathlen0_intermediate_above_intermediate", two(func(p *plan) { p.inter[0].Mutate = pathLen(0) }), errPathLength, 2),
		newCase(tb, "pathlen0_root_above_intermediate", rootWith(pathLen(0)), errPathLength, 2),
		newCase(tb, "pathlen1_root_above_one", rootWith(pathLen(1)), 0, 0),
		newCase(tb, "pathlen1_root_above_two", two(func(p *plan) { p.root.Mutate = pathLen(1) }), errPathLength, 3),
	}
}
