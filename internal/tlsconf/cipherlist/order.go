package cipherlist

import "slices"

// operation is what a rule does to the suites its pattern matches.
type operation int

const (
	opAdd  operation = iota // "X": append matching inactive suites at the end
	opMove                  // "+X": move matching active suites to the end
	opDel                   // "-X": deactivate, moving them to the front
	opKill                  // "!X": drop them for good
	opBump                  // internal: move matching active suites to the front
)

// order is OpenSSL's working list: every suite still alive, in order, each
// active (will be offered) or not. It mirrors the doubly linked list in
// ssl_cipher_apply_rule: every operation moves the matching suites as a
// block to one end, keeping their relative order, so a stable partition of
// a slice gives the same result.
type order struct {
	suites []*entry
	active map[uint16]bool
}

// newOrder lists the available suites in the given order, all inactive.
func newOrder(available []*entry) *order {
	return &order{suites: slices.Clone(available), active: make(map[uint16]bool, len(available))}
}

// apply runs one rule over the list.
func (o *order) apply(op operation, p pattern) {
	var hit, rest []*entry
	for _, s := range o.suites {
		if p.matches(s) && o.affects(op, s) {
			hit = append(hit, s)
		} else {
			rest = append(rest, s)
		}
	}
	switch op {
	case opAdd:
		for _, s := range hit {
			o.active[s.ID] = true
		}
		o.suites = append(rest, hit...)
	case opMove:
		o.suites = append(rest, hit...)
	case opDel:
		// Deactivated suites go to the front, so a later "X" re-adds them
		// ahead of suites that were never added, in their old order.
		for _, s := range hit {
			o.active[s.ID] = false
		}
		o.suites = append(hit, rest...)
	case opBump:
		o.suites = append(hit, rest...)
	case opKill:
		for _, s := range hit {
			delete(o.active, s.ID)
		}
		o.suites = rest
	}
}

// affects reports whether op changes a suite that matched its pattern.
func (o *order) affects(op operation, s *entry) bool {
	switch op {
	case opAdd:
		return !o.active[s.ID]
	case opKill:
		return true
	default:
		return o.active[s.ID]
	}
}

// sortByStrength is @STRENGTH: active suites move to the end ordered by
// descending strength bits, keeping their order within equal strength;
// inactive suites keep their place in front.
func (o *order) sortByStrength() {
	var inactive, active []*entry
	for _, s := range o.suites {
		if o.active[s.ID] {
			active = append(active, s)
		} else {
			inactive = append(inactive, s)
		}
	}
	slices.SortStableFunc(active, func(a, b *entry) int { return b.StrengthBits - a.StrengthBits })
	o.suites = append(inactive, active...)
}

// selected returns the active suites in order.
func (o *order) selected() []*entry {
	var out []*entry
	for _, s := range o.suites {
		if o.active[s.ID] {
			out = append(out, s)
		}
	}
	return out
}

// preferenceOrder returns OpenSSL 3.0's built-in order of the available
// suites, all inactive: the order in which ALL adds them. It replays the
// rules at the start of ssl_create_cipher_list. The result is
// ECDHE+AEAD, then other ECDHE, then the rest of AEAD, then the rest;
// within each group stronger first, TLS 1.2-only first, ECDSA before RSA,
// GCM before ChaCha20.
func preferenceOrder(available []*entry) *order {
	o := newOrder(available)
	o.apply(opAdd, pattern{kx: kECDHE, auth: aECDSA})
	o.apply(opAdd, pattern{kx: kECDHE})
	o.apply(opDel, pattern{kx: kECDHE})
	o.apply(opAdd, pattern{enc: encAESGCM})
	o.apply(opAdd, pattern{enc: encChaCha20})
	o.apply(opAdd, pattern{enc: encAES &^ encAESGCM})
	o.apply(opAdd, pattern{})
	o.apply(opMove, pattern{mac: macMD5})
	o.apply(opMove, pattern{auth: aNULL})
	o.apply(opMove, pattern{kx: kRSA})
	o.apply(opMove, pattern{kx: kPSK})
	o.apply(opMove, pattern{enc: encRC4})
	o.sortByStrength()
	o.apply(opBump, pattern{minVersion: versionTLS12})
	o.apply(opBump, pattern{mac: macAEAD})
	o.apply(opBump, pattern{kx: kDHE | kECDHE})
	o.apply(opBump, pattern{kx: kDHE | kECDHE, mac: macAEAD})
	o.apply(opDel, pattern{})
	return o
}
