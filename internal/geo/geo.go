// Package geo is the lookup table of a geo {} block, built and searched
// as nginx's ngx_stream_geo_module.c does: networks in two radix trees
// (IPv4, IPv6) searched for the longest matching prefix, or, after
// "ranges", IPv4 address ranges kept per /16 with nginx's insertion rules
// (a range inside another splits it; a partial overlap is an error).
// Values are plain strings. The configuration loader builds a Table and
// words nginx's warnings and errors from what the methods report; the
// variable engine looks addresses up in it.
package geo

import (
	"net/netip"
)

// Table is one geo block. It is built by one goroutine and read-only
// afterwards, so lookups need no locks.
type Table struct {
	ranges bool
	v4, v6 radix
	low    map[uint32][]span // ranges, by the address's high 16 bits
	def    *string           // ranges: the default value; nil for ""
}

// span is ngx_stream_geo_range_t: low 16 bits of a range within one /16.
type span struct {
	start, end uint16
	val        *string
}

// NewNetworks returns an empty table of networks (CIDR keys).
func NewNetworks() *Table { return &Table{} }

// NewRanges returns an empty table of IPv4 ranges.
func NewRanges() *Table { return &Table{ranges: true, low: map[uint32][]span{}} }

// Ranges reports whether the table holds ranges rather than networks.
func (t *Table) Ranges() bool { return t.ranges }

// AddNetwork sets the value of a network. When the network already had
// one, it is replaced and dup reports the old value, which nginx warns
// about ("duplicate network").
func (t *Table) AddNetwork(p netip.Prefix, val string) (old string, dup bool) {
	tree, key := t.tree(p.Addr())
	if tree.insert(key, p.Bits(), &val) {
		return "", false
	}
	if o := tree.lookupExact(key, p.Bits()); o != nil {
		old = *o
	}
	tree.delete(key, p.Bits())
	tree.insert(key, p.Bits(), &val)
	return old, true
}

// DeleteNetwork removes a network's value; false when it had none ("no
// network to delete").
func (t *Table) DeleteNetwork(p netip.Prefix) bool {
	tree, key := t.tree(p.Addr())
	return tree.delete(key, p.Bits())
}

func (t *Table) tree(a netip.Addr) (*radix, []byte) {
	if a.Is4() {
		b := a.As4()
		return &t.v4, b[:]
	}
	b := a.As16()
	return &t.v6, b[:]
}

// Finish completes a table of networks as ngx_stream_geo_block does: a
// missing default (0.0.0.0/0, ::/0) is the empty value. It does nothing to
// ranges.
func (t *Table) Finish() {
	if t.ranges {
		return
	}
	empty := ""
	t.v4.insert(make([]byte, 4), 0, &empty)
	t.v6.insert(make([]byte, 16), 0, &empty)
}

// broadcast is INADDR_NONE, the key nginx looks up when the address is
// not an IPv4 address it can search for (unix sockets, a source variable
// that is not found or not an address).
const broadcast = 0xffffffff

// Lookup returns the value for a, or for a missing address (ok false)
// what nginx finds for INADDR_NONE, 255.255.255.255. IPv4-mapped IPv6
// addresses are searched as IPv4; a table of ranges treats every other
// IPv6 address as missing.
func (t *Table) Lookup(a netip.Addr, ok bool) string {
	v4, is4 := uint32(broadcast), false
	if ok && (a.Is4() || a.Is4In6()) {
		b := a.Unmap().As4()
		v4, is4 = uint32(b[0])<<24|uint32(b[1])<<16|uint32(b[2])<<8|uint32(b[3]), true
	}
	if t.ranges {
		return t.findRange(v4)
	}
	var p *string
	if ok && !is4 {
		b := a.As16()
		p = t.v6.find(b[:])
	} else {
		p = t.v4.find([]byte{byte(v4 >> 24), byte(v4 >> 16), byte(v4 >> 8), byte(v4)})
	}
	if p == nil {
		return ""
	}
	return *p
}
