package geo

import (
	"net/netip"
	"testing"
)

func ip4(s string) uint32 {
	b := netip.MustParseAddr(s).As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func TestNetworksLongestPrefix(t *testing.T) {
	tb := NewNetworks()
	for _, e := range [][2]string{
		{"0.0.0.0/0", "def"}, {"10.0.0.0/8", "a"}, {"10.1.0.0/16", "b"}, {"10.1.1.1/32", "c"},
		{"2001:db8::/32", "v6"}, {"10.2.0.0/16", "x"},
	} {
		if _, dup := tb.AddNetwork(netip.MustParsePrefix(e[0]), e[1]); dup {
			t.Fatalf("%s reported as duplicate", e[0])
		}
	}
	if old, dup := tb.AddNetwork(netip.MustParsePrefix("10.0.0.0/8"), "a2"); !dup || old != "a" {
		t.Errorf("duplicate: %q %v", old, dup)
	}
	if !tb.DeleteNetwork(netip.MustParsePrefix("10.2.0.0/16")) || tb.DeleteNetwork(netip.MustParsePrefix("10.2.0.0/16")) {
		t.Error("delete of 10.2.0.0/16 should succeed once")
	}
	if tb.DeleteNetwork(netip.MustParsePrefix("10.0.0.0/9")) {
		t.Error("deleted a network that has no value")
	}
	tb.Finish()
	for addr, want := range map[string]string{
		"10.1.1.1": "c", "10.1.1.2": "b", "10.2.0.1": "a2", "11.0.0.1": "def",
		"2001:db8::1": "v6", "2001:db9::1": "", "::ffff:10.1.1.1": "c",
	} {
		if got := tb.Lookup(netip.MustParseAddr(addr), true); got != want {
			t.Errorf("%s: %q, want %q", addr, got, want)
		}
	}
	if got := tb.Lookup(netip.Addr{}, false); got != "def" {
		t.Errorf("missing address: %q, want the value of 255.255.255.255", got)
	}
}

func TestRanges(t *testing.T) {
	tb := NewRanges()
	add := func(from, to, val string) error {
		_, err := tb.AddRange(ip4(from), ip4(to), val)
		return err
	}
	for _, r := range [][3]string{
		{"10.0.0.0", "10.0.255.255", "outer"},
		{"10.0.1.0", "10.0.1.255", "split"},  // inside: splits outer
		{"10.0.0.0", "10.0.0.9", "head"},     // same start: shifts outer
		{"10.0.255.0", "10.0.255.255", "tl"}, // same end
		{"9.255.255.0", "10.1.0.10", "zzz"},  // spans three /16s, overlaps
	} {
		err := add(r[0], r[1], r[2])
		if (err != nil) != (r[2] == "zzz") {
			t.Fatalf("%s-%s: %v", r[0], r[1], err)
		}
	}
	if err := add("10.0.0.5", "10.0.0.20", "x"); err == nil || err.Error() != "overlaps 10.0.0.10-10.0.0.255" {
		t.Errorf("partial overlap: %v", err)
	}
	if rep, err := tb.AddRange(ip4("10.0.1.0"), ip4("10.0.1.255"), "again"); err != nil || len(rep) != 1 || rep[0].Old != "split" {
		t.Errorf("replace: %v %v", rep, err)
	}
	if tb.DeleteRange(ip4("10.0.255.0"), ip4("10.0.255.255")) || !tb.DeleteRange(ip4("10.0.255.0"), ip4("10.0.255.254")) {
		t.Error("delete must match a range exactly")
	}
	tb.SetDefault("none")
	for addr, want := range map[string]string{
		"10.0.0.3": "head", "10.0.0.10": "outer", "10.0.1.7": "again", "10.0.2.0": "outer",
		"10.0.255.1": "none", "9.255.255.1": "zzz", "11.0.0.0": "none", "2001:db8::1": "none",
	} {
		if got := tb.Lookup(netip.MustParseAddr(addr), true); got != want {
			t.Errorf("%s: %q, want %q", addr, got, want)
		}
	}
}
