package resolver

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"strings"
)

// DNS record types and class (RFC 1035 section 3.2, RFC 3596, RFC 2782).
const (
	typeA    = 1
	typeAAAA = 28
	typeSRV  = 33
	typeCNAM = 5
	classIN  = 1
)

// errMalformed is a response that cannot be parsed; it counts as a
// format error, as nginx's resolver treats one.
var errMalformed = errors.New("malformed response")

// query builds a recursive query for name and qtype (RFC 1035 4.1).
func query(id uint16, name string, qtype uint16) ([]byte, error) {
	q := binary.BigEndian.AppendUint16(make([]byte, 0, 64), id)
	q = append(q, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0) // RD, one question
	for l := range strings.SplitSeq(strings.TrimSuffix(name, "."), ".") {
		if l == "" || len(l) > 63 {
			return nil, errors.New("invalid name " + name)
		}
		q = append(q, byte(len(l)))
		q = append(q, l...)
	}
	q = append(q, 0)
	q = binary.BigEndian.AppendUint16(q, qtype)
	return binary.BigEndian.AppendUint16(q, classIN), nil
}

// record is one resource record of a response.
type record struct {
	name  string
	rtype uint16
	ttl   uint32
	data  []byte // rdata
	off   int    // offset of rdata in the message, for compressed names
}

// response is a parsed reply.
type response struct {
	id     uint16
	rcode  int
	trunc  bool
	answer []record // answer and additional sections together
}

// parse reads a reply: the header, the question skipped, every record of
// the answer, authority and additional sections.
func parse(m []byte) (*response, error) {
	if len(m) < 12 || m[2]&0x80 == 0 {
		return nil, errMalformed
	}
	r := &response{id: binary.BigEndian.Uint16(m), rcode: int(m[3] & 0x0f), trunc: m[2]&0x02 != 0}
	qd := int(binary.BigEndian.Uint16(m[4:]))
	rr := int(binary.BigEndian.Uint16(m[6:])) + int(binary.BigEndian.Uint16(m[8:])) + int(binary.BigEndian.Uint16(m[10:]))
	off := 12
	for range qd {
		_, n, err := readName(m, off)
		if err != nil {
			return nil, err
		}
		off = n + 4
	}
	for range rr {
		name, n, err := readName(m, off)
		if err != nil || n+10 > len(m) {
			return nil, errMalformed
		}
		rec := record{name: name, rtype: binary.BigEndian.Uint16(m[n:]), ttl: binary.BigEndian.Uint32(m[n+4:])}
		l := int(binary.BigEndian.Uint16(m[n+8:]))
		if n+10+l > len(m) {
			return nil, errMalformed
		}
		rec.off, rec.data = n+10, m[n+10:n+10+l]
		if binary.BigEndian.Uint16(m[n+2:]) == classIN {
			r.answer = append(r.answer, rec)
		}
		off = n + 10 + l
	}
	return r, nil
}

// readName reads a possibly compressed name at off and returns it in
// lower case without the final dot, and the offset after it.
func readName(m []byte, off int) (string, int, error) {
	var b strings.Builder
	end, jumps := -1, 0
	for {
		if off >= len(m) {
			return "", 0, errMalformed
		}
		l := int(m[off])
		switch {
		case l == 0:
			if end < 0 {
				end = off + 1
			}
			return strings.ToLower(b.String()), end, nil
		case l&0xc0 == 0xc0:
			if off+1 >= len(m) || jumps > 32 {
				return "", 0, errMalformed
			}
			if end < 0 {
				end = off + 2
			}
			off, jumps = int(binary.BigEndian.Uint16(m[off:])&0x3fff), jumps+1
		case l < 64 && off+1+l <= len(m):
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.Write(m[off+1 : off+1+l])
			off += 1 + l
		default:
			return "", 0, errMalformed
		}
	}
}

// srvs returns the SRV records of name in r.
func (r *response) srvs(m []byte, name string) ([]srv, error) {
	var out []srv
	for _, rec := range r.answer {
		if rec.name != name || rec.rtype != typeSRV {
			continue
		}
		if len(rec.data) < 7 {
			return nil, errMalformed
		}
		target, _, err := readName(m, rec.off+6)
		if err != nil {
			return nil, err
		}
		out = append(out, srv{
			priority: binary.BigEndian.Uint16(rec.data), weight: binary.BigEndian.Uint16(rec.data[2:]),
			port: binary.BigEndian.Uint16(rec.data[4:]), target: target, ttl: rec.ttl,
		})
	}
	return out, nil
}

// srv is one SRV record (RFC 2782).
type srv struct {
	priority, weight, port uint16
	target                 string
	ttl                    uint32
}

// addrs returns the addresses of name in r, following the CNAME chain a
// recursive server puts before them, and their smallest TTL.
func (r *response) addrs(m []byte, name string) (out []netip.Addr, ttl uint32) {
	ttl = ^uint32(0)
	for range 8 {
		next := ""
		for _, rec := range r.answer {
			if rec.name == name && rec.rtype == typeCNAM {
				if t, _, err := readName(m, rec.off); err == nil {
					next, ttl = t, min(ttl, rec.ttl)
				}
			}
		}
		if next == "" {
			break
		}
		name = next
	}
	for _, rec := range r.answer {
		if rec.name != name {
			continue
		}
		var a netip.Addr
		switch {
		case rec.rtype == typeA && len(rec.data) == 4:
			a = netip.AddrFrom4([4]byte(rec.data))
		case rec.rtype == typeAAAA && len(rec.data) == 16:
			a = netip.AddrFrom16([16]byte(rec.data))
		default:
			continue
		}
		out = append(out, a)
		ttl = min(ttl, rec.ttl)
	}
	return out, ttl
}
