package testpki

import (
	"fmt"
	"testing"
)

// at sets the security level a case runs at.
func at(level int, h HostileCase) HostileCase {
	h.Level = level
	return h
}

func tlsRefused(h HostileCase) HostileCase {
	h.TLSRefused = true
	return h
}

// levelCases are OpenSSL's security level checks (auth_level): the
// leaf's key (EE key too weak), every other key (CA key too weak) and
// every signature but the trust anchor's own (CA signature digest
// algorithm too weak). Levels 1 to 5 ask for 80, 112, 128, 192 and 256
// security bits; RSA 1024 has 80, RSA 2048 112, RSA 3072 and P-256 128,
// P-384 192; SHA-1 signatures count 63 bits, MD5 39, SHA-224 112.
func levelCases(tb testing.TB) []HostileCase {
	var cases []HostileCase
	rsaLeaf := std(func(p *plan) { p.leaf.Key = RSA1024 })
	rsaInter := std(func(p *plan) { p.inter[0].Key = RSA1024 })
	sha1Leaf := std(func(p *plan) { p.leaf.Digest = SHA1 })
	sha1Inter := std(func(p *plan) { p.root.Key, p.inter[0].Digest = RSA, SHA1 })
	for level, want := range []struct{ leafKey, interKey, sha1Leaf, sha1Inter []int }{
		0: {sha1Leaf: []int{0, 0}, sha1Inter: []int{0, 0}},
		1: {leafKey: []int{0, 0}, interKey: []int{0, 0}, sha1Leaf: []int{errCAMDTooWeak, 0}, sha1Inter: []int{errCAMDTooWeak, 1}},
		2: {leafKey: []int{errEEKeyTooWeak, 0}, interKey: []int{errCAKeyTooWeak, 1}, sha1Leaf: []int{errCAMDTooWeak, 0}, sha1Inter: []int{errCAMDTooWeak, 1}},
		3: {leafKey: []int{errEEKeyTooWeak, 0}, interKey: []int{errCAKeyTooWeak, 1}},
	} {
		add := func(name string, p plan, w []int) {
			if w != nil {
				name = fmt.Sprintf("%s_level%d", name, level)
				cases = append(cases, at(level, newCase(tb, name, p, w[0], w[1])))
			}
		}
		add("rsa1024_leaf", rsaLeaf, want.leafKey)
		add("rsa1024_intermediate", rsaInter, want.interKey)
		add("sha1_leaf", sha1Leaf, want.sha1Leaf)
		add("sha1_intermediate", sha1Inter, want.sha1Inter)
	}
	p384 := func(d Digest) plan {
		return plan{root: Spec{Key: ECDSAP384}, inter: []Spec{{Key: ECDSAP384, Digest: d}},
			leaf: Spec{Key: ECDSAP384, DNSNames: []string{"backend"}, Digest: d}}
	}
	return append(cases,
		at(2, newCase(tb, "rsa1024_root_level2", std(func(p *plan) { p.root.Key = RSA1024 }), errCAKeyTooWeak, 2)),
		at(3, newCase(tb, "rsa2048_leaf_level3", std(func(p *plan) { p.leaf.Key = RSA }), errEEKeyTooWeak, 0)),
		at(3, newCase(tb, "rsa3072_leaf_level3", std(func(p *plan) { p.leaf.Key = RSA3072 }), 0, 0)),
		// The trust anchor's own signature is never rated.
		at(2, newCase(tb, "sha1_root_level2", std(func(p *plan) { p.root.Key, p.root.Digest = RSA, SHA1 }), 0, 0)),
		at(0, newCase(tb, "md5_leaf_level0", std(func(p *plan) { p.inter[0].Key, p.leaf.Digest = RSA, MD5 }), 0, 0)),
		at(2, newCase(tb, "sha224_leaf_level2", std(func(p *plan) { p.leaf.Digest = SHA224 }), 0, 0)),
		at(3, newCase(tb, "sha224_leaf_level3", std(func(p *plan) { p.leaf.Digest = SHA224 }), errCAMDTooWeak, 0)),
		tlsRefused(at(4, newCase(tb, "p256_sha256_level4", std(), errCAKeyTooWeak, 2))),
		at(4, newCase(tb, "p384_sha256_level4", p384(SHA256), errCAMDTooWeak, 1)),
		at(4, newCase(tb, "p384_sha384_level4", p384(SHA384), 0, 0)),
	)
}
