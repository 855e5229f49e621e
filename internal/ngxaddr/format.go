package ngxaddr

import (
	"net/netip"
	"strconv"
)

// AppendIP appends a's text as ngx_sock_ntop writes it: dotted decimal for
// IPv4, and for IPv6 ngx_inet6_ntop's form, which differs from Go's where
// the first six groups are zero ("::1.2.3.4", Go "::102:304") and for
// IPv4-mapped addresses only in that Go's Unmap callers drop the prefix.
func AppendIP(dst []byte, a netip.Addr) []byte {
	if a.Is4() {
		b := a.As4()
		for i, c := range b {
			if i > 0 {
				dst = append(dst, '.')
			}
			dst = strconv.AppendUint(dst, uint64(c), 10)
		}
		return dst
	}
	p := a.As16()
	// The longest run of zero groups of at least two; the first wins.
	zero, last, maxRun, n := -1, -1, 1, 0
	for i := 0; i < 16; i += 2 {
		if p[i] != 0 || p[i+1] != 0 {
			if maxRun < n {
				zero, maxRun = last, n
			}
			n = 0
			continue
		}
		if n == 0 {
			last = i
		}
		n++
	}
	if maxRun < n {
		zero, maxRun = last, n
	}
	end := 16
	if zero == 0 {
		if maxRun == 5 && p[10] == 0xff && p[11] == 0xff || maxRun == 6 || maxRun == 7 && p[14] != 0 && p[15] != 1 {
			end = 12
		}
		dst = append(dst, ':')
	}
	for i := 0; i < end; i += 2 {
		if i == zero {
			dst = append(dst, ':')
			i += (maxRun - 1) * 2
			continue
		}
		dst = strconv.AppendUint(dst, uint64(p[i])<<8|uint64(p[i+1]), 16)
		if i < 14 {
			dst = append(dst, ':')
		}
	}
	if end == 12 {
		for i := 12; i < 16; i++ {
			if i > 12 {
				dst = append(dst, '.')
			}
			dst = strconv.AppendUint(dst, uint64(p[i]), 10)
		}
	}
	return dst
}
