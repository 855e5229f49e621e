package interop

import (
	"encoding/binary"
	"github.com/straitproxy/strait/internal/straittest"
	"net"
	"strings"
	"testing"
)

// startDNS answers A queries for the names in hosts over UDP on a
// loopback port, so that a configuration's `resolver` directive can
// resolve made-up upstream host names without touching the system's
// resolver. AAAA queries for those names get an empty answer, other names
// NXDOMAIN. It returns the server's address.
func startDNS(t testing.TB, hosts map[string]net.IP) string {
	t.Helper()
	return straittest.ServeUDP(t, func(q []byte) []byte { return dnsReply(q, hosts) })
}

const (
	dnsTypeA    = 1
	dnsClassIN  = 1
	dnsHeader   = 12
	dnsNXDomain = 3
)

// dnsReply builds the answer to one query (RFC 1035 section 4), or nil for
// a packet that is not a single-question query.
func dnsReply(q []byte, hosts map[string]net.IP) []byte {
	if len(q) < dnsHeader || q[2]&0x80 != 0 || binary.BigEndian.Uint16(q[4:]) != 1 {
		return nil
	}
	var labels []string
	off := dnsHeader
	for off < len(q) && q[off] != 0 {
		l := int(q[off])
		if l >= 64 || off+1+l > len(q) {
			return nil
		}
		labels = append(labels, string(q[off+1:off+1+l]))
		off += 1 + l
	}
	off++ // the root label
	if off+4 > len(q) {
		return nil
	}
	qtype, qclass := binary.BigEndian.Uint16(q[off:]), binary.BigEndian.Uint16(q[off+2:])
	question := q[dnsHeader : off+4]

	ip, known := hosts[strings.ToLower(strings.Join(labels, "."))]
	// QR, AA, RD copied, RA: a complete authoritative answer, so the
	// client does not take an empty one for a lame referral.
	flags := uint16(0x8000|0x0400|0x0080) | binary.BigEndian.Uint16(q[2:])&0x0100
	var answers int
	if !known {
		flags |= dnsNXDomain
	} else if qtype == dnsTypeA && qclass == dnsClassIN && ip.To4() != nil {
		answers = 1
	}
	r := make([]byte, dnsHeader, dnsHeader+len(question)+16)
	binary.BigEndian.PutUint16(r[0:], binary.BigEndian.Uint16(q[0:]))
	binary.BigEndian.PutUint16(r[2:], flags)
	binary.BigEndian.PutUint16(r[4:], 1)
	binary.BigEndian.PutUint16(r[6:], uint16(answers))
	r = append(r, question...)
	if answers == 1 {
		r = append(r, 0xC0, dnsHeader) // name: pointer to the question's
		r = binary.BigEndian.AppendUint16(r, dnsTypeA)
		r = binary.BigEndian.AppendUint16(r, dnsClassIN)
		r = binary.BigEndian.AppendUint32(r, 60) // TTL
		r = binary.BigEndian.AppendUint16(r, 4)
		r = append(r, ip.To4()...)
	}
	return r
}
