// Package ngxaddr reads and writes IP addresses and networks the way
// nginx's src/core/ngx_inet.c does, so that a configuration or a PROXY
// header that nginx accepts means the same address in strait. nginx's
// rules are looser than Go's in places ("1..2.3" is 1.0.2.3, a leading
// ":" of an IPv6 address is skipped, octets may have leading zeros) and
// stricter in others (no zones, "255.255.255.255" is not an address for
// ngx_inet_addr). It imports nothing from strait: config and vars both
// use it.
package ngxaddr

import (
	"errors"
	"net/netip"
)

// ParseIPv4 parses a dotted quad as ngx_inet_addr does: exactly four
// decimal octets of at most 255, where an empty octet counts as 0. Like
// nginx, it cannot tell "255.255.255.255" (INADDR_NONE) from an error and
// refuses it.
func ParseIPv4(s string) (uint32, bool) {
	var addr, octet uint32
	dots := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			octet = octet*10 + uint32(c-'0')
			if octet > 255 {
				return 0, false
			}
		case c == '.':
			addr = addr<<8 + octet
			octet = 0
			dots++
		default:
			return 0, false
		}
	}
	if dots != 3 {
		return 0, false
	}
	addr = addr<<8 + octet
	return addr, addr != 0xffffffff
}

// ParseIPv6 parses an IPv6 address as ngx_inet6_addr does: up to eight
// groups of at most four hex digits, one "::", an IPv4 tail in place of
// the last two groups. A single leading ":" is skipped, as nginx skips it.
func ParseIPv6(s string) ([16]byte, bool) {
	var out [16]byte
	if len(s) == 0 {
		return out, false
	}
	if s[0] == ':' {
		s = s[1:]
	}
	var (
		a       int  // next byte of out to write
		zero    = -1 // where "::" was, as an index into out
		digit   = -1 // start of the current group in s
		nibbles int
		word    uint32
		n       = 8 // groups still to write
	)
	put := func(w uint32) { out[a], out[a+1] = byte(w>>8), byte(w); a += 2 }
	i := 0
loop:
	for ; i < len(s); i++ {
		c := s[i]
		if c == ':' {
			if nibbles > 0 {
				digit = i + 1
				put(word)
				if n--; n > 0 {
					nibbles, word = 0, 0
					continue
				}
			} else if zero < 0 {
				digit = i + 1
				zero = a
				continue
			}
			return out, false
		}
		if c == '.' && nibbles > 0 {
			if n < 2 || digit < 0 {
				return out, false
			}
			v4, ok := ParseIPv4(s[digit:])
			if !ok {
				return out, false
			}
			out[a], out[a+1] = byte(v4>>24), byte(v4>>16)
			a += 2
			word = v4 & 0xffff
			n--
			break loop
		}
		if nibbles++; nibbles > 4 {
			return out, false
		}
		switch {
		case c >= '0' && c <= '9':
			word = word*16 + uint32(c-'0')
		case c|0x20 >= 'a' && c|0x20 <= 'f':
			word = word*16 + uint32(c|0x20-'a') + 10
		default:
			return out, false
		}
	}
	if nibbles == 0 && zero < 0 {
		return out, false
	}
	put(word)
	n--
	switch {
	case n > 0 && zero >= 0:
		// Move what follows "::" to the end and zero the gap.
		gap := n * 2
		copy(out[zero+gap:], out[zero:a])
		clear(out[zero : zero+gap])
		return out, true
	case n == 0 && zero < 0:
		return out, true
	}
	return out, false
}

// ParseAddr parses an IPv4 or IPv6 address as ngx_parse_addr does. IPv4
// addresses are 4-byte (Is4), IPv6 ones 16-byte, IPv4-mapped included.
func ParseAddr(s string) (netip.Addr, bool) {
	if v4, ok := ParseIPv4(s); ok {
		return netip.AddrFrom4([4]byte{byte(v4 >> 24), byte(v4 >> 16), byte(v4 >> 8), byte(v4)}), true
	}
	if v6, ok := ParseIPv6(s); ok {
		return netip.AddrFrom16(v6), true
	}
	return netip.Addr{}, false
}

// ErrInvalidCIDR is ParseCIDR's only error: nginx's NGX_ERROR, which each
// directive words its own way ("invalid network", "invalid parameter").
var ErrInvalidCIDR = errors.New("invalid address or network")

// ParseCIDR parses "address" or "address/bits" as ngx_ptocidr does. An
// address alone is a host prefix (/32 or /128). lowBits reports that the
// address had bits set past the prefix, which nginx clears with the
// warning "low address bits of X are meaningless"; the returned prefix is
// masked.
func ParseCIDR(s string) (p netip.Prefix, lowBits bool, err error) {
	text, bitsText, hasMask := cutByte(s, '/')
	a, ok := ParseAddr(text)
	if !ok {
		return netip.Prefix{}, false, ErrInvalidCIDR
	}
	if !hasMask {
		return netip.PrefixFrom(a, a.BitLen()), false, nil
	}
	bits, ok := atoi(bitsText)
	if !ok || bits > a.BitLen() {
		return netip.Prefix{}, false, ErrInvalidCIDR
	}
	p = netip.PrefixFrom(a, bits)
	m := p.Masked()
	return m, m.Addr() != a, nil
}

func cutByte(s string, c byte) (before, after string, found bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// atoi is ngx_atoi: one or more decimal digits, nothing else.
func atoi(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' || n > 1<<30 {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
