//go:build linux

package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
)

// The UDP scenario's upstream is a minimal DNS responder in the harness
// rather than dnsmasq: dnsmasq is one single-threaded process that parses,
// looks up its cache and logs per query, so at tens of thousands of
// queries a second it would be the bottleneck and the rows would measure
// the resolver. The Go responder answers every A query with a fixed
// address and allocates nothing per query, so what differs between the
// columns is the proxy. It still speaks real DNS, so any DNS client could
// use the same routes.

// dnsHeaderLen is the fixed DNS header: id, flags and four counts.
const dnsHeaderLen = 12

// appendDNSQuery appends a recursive A query for name with the given id.
func appendDNSQuery(b []byte, id uint16, name string) []byte {
	b = binary.BigEndian.AppendUint16(b, id)
	b = append(b, 0x01, 0x00) // RD
	b = append(b, 0, 1, 0, 0, 0, 0, 0, 0)
	for _, label := range strings.Split(strings.TrimSuffix(name, "."), ".") {
		b = append(b, byte(len(label)))
		b = append(b, label...)
	}
	return append(b, 0, 0, 1, 0, 1) // root, QTYPE A, QCLASS IN
}

// questionEnd returns the offset just past the single question of msg.
func questionEnd(msg []byte) (int, error) {
	if len(msg) < dnsHeaderLen || binary.BigEndian.Uint16(msg[4:]) != 1 {
		return 0, errors.New("not a query with one question")
	}
	i := dnsHeaderLen
	for range 128 { // a name has at most 127 labels
		if i >= len(msg) {
			return 0, errors.New("question name runs past the message")
		}
		n := int(msg[i])
		if n == 0 {
			if i+5 > len(msg) {
				return 0, errors.New("question truncated")
			}
			return i + 5, nil
		}
		if n&0xc0 != 0 {
			return 0, errors.New("compressed name in a question")
		}
		i += 1 + n
	}
	return 0, errors.New("question name too long")
}

// appendDNSAnswer appends the answer to query: the question echoed, one
// A record 127.0.0.1 with a compression pointer to the question's name.
func appendDNSAnswer(b, query []byte) ([]byte, error) {
	end, err := questionEnd(query)
	if err != nil {
		return b, err
	}
	b = append(b, query[0], query[1], 0x81, 0x80) // QR, RD, RA, NOERROR
	b = append(b, 0, 1, 0, 1, 0, 0, 0, 0)         // one question, one answer
	b = append(b, query[dnsHeaderLen:end]...)
	b = append(b, 0xc0, dnsHeaderLen, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1)
	return b, nil
}

// dnsAnswerID returns the id of an answer, checking that it is one.
func dnsAnswerID(msg []byte) (uint16, error) {
	if len(msg) < dnsHeaderLen {
		return 0, fmt.Errorf("answer of %d bytes", len(msg))
	}
	if msg[2]&0x80 == 0 {
		return 0, errors.New("not an answer")
	}
	if rcode := msg[3] & 0x0f; rcode != 0 {
		return 0, fmt.Errorf("answer with rcode %d", rcode)
	}
	return binary.BigEndian.Uint16(msg), nil
}

// dnsResponder answers DNS queries on a loopback UDP socket, from one
// reading goroutine per CPU so that it keeps up with every proxy.
type dnsResponder struct {
	pc *net.UDPConn
	wg sync.WaitGroup
}

func startDNSResponder(readers int) (*dnsResponder, error) {
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, fmt.Errorf("dns responder: %w", err)
	}
	// Room for bursts from many sessions at once; the kernel caps it at
	// net.core.rmem_max without complaint.
	_ = pc.SetReadBuffer(4 << 20)
	d := &dnsResponder{pc: pc}
	for range max(readers, 1) {
		d.wg.Go(d.serve)
	}
	return d, nil
}

// Addr is the responder's host:port.
func (d *dnsResponder) Addr() string { return d.pc.LocalAddr().String() }

func (d *dnsResponder) serve() {
	in := make([]byte, 1500)
	out := make([]byte, 0, 1500)
	for {
		n, from, err := d.pc.ReadFromUDPAddrPort(in)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // e.g. an ICMP error left by a client that went away
		}
		ans, err := appendDNSAnswer(out[:0], in[:n])
		if err != nil {
			continue
		}
		_, _ = d.pc.WriteToUDPAddrPort(ans, from)
	}
}

// Close stops the responder.
func (d *dnsResponder) Close() {
	d.pc.Close()
	d.wg.Wait()
}
