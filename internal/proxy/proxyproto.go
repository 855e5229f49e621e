package proxy

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"time"
)

// PROXY protocol limits and constants
// (https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt).
const (
	proxyV1MaxHeader = 107 // longest v1 line including CRLF
	// proxyV2MaxHeader bounds the v2 header with TLVs; longer headers are
	// refused rather than buffered without limit.
	proxyV2MaxHeader = 4096
)

var proxyV2Signature = []byte("\r\n\r\n\x00\r\nQUIT\n")

// ProxyHeader is what a client's PROXY protocol header said. Addresses are
// empty for "PROXY UNKNOWN", v2 LOCAL and non-IP families.
type ProxyHeader struct {
	SrcAddr, DstAddr string
	SrcPort, DstPort string
}

// ErrBrokenHeader is wrapped by ReadProxyHeader for malformed headers; the
// server ends such sessions with status 400.
var ErrBrokenHeader = errors.New("broken header")

// ReadProxyHeader reads a PROXY protocol v1 or v2 header from c within
// timeout. It returns the header and any client bytes read past it, which
// must be forwarded before the rest of the stream. A timeout returns an
// error satisfying os.IsTimeout; a malformed header wraps ErrBrokenHeader
// with nginx's wording (`broken header: "..."`).
func ReadProxyHeader(c net.Conn, timeout time.Duration) (ProxyHeader, []byte, error) {
	if timeout > 0 {
		if err := c.SetReadDeadline(time.Now().Add(timeout)); err != nil {
			return ProxyHeader{}, nil, err
		}
		defer c.SetReadDeadline(time.Time{})
	}
	// The reader may read past the header; what it buffered is handed back
	// as preread data, so nothing is lost.
	br := bufio.NewReaderSize(c, 512)
	first, err := br.Peek(len(proxyV2Signature))
	if err != nil && len(first) == 0 {
		return ProxyHeader{}, nil, err
	}
	var h ProxyHeader
	switch {
	case bytes.HasPrefix(first, []byte("PROXY ")) || bytes.HasPrefix([]byte("PROXY "), first) && err != nil:
		h, err = readProxyV1(br)
	case bytes.Equal(first, proxyV2Signature):
		h, err = readProxyV2(br)
	default:
		if err == nil {
			err = brokenHeader(first)
		}
	}
	if err != nil {
		return ProxyHeader{}, nil, err
	}
	var rest []byte
	if n := br.Buffered(); n > 0 {
		b, _ := br.Peek(n)
		rest = bytes.Clone(b)
	}
	return h, rest, nil
}

func brokenHeader(b []byte) error {
	return fmt.Errorf("%w: %q", ErrBrokenHeader, b)
}

func readProxyV1(br *bufio.Reader) (ProxyHeader, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) || len(line) > proxyV1MaxHeader {
		return ProxyHeader{}, brokenHeader(line[:min(len(line), proxyV1MaxHeader)])
	}
	if err != nil {
		return ProxyHeader{}, err
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return ProxyHeader{}, brokenHeader(line)
	}
	fields := bytes.Split(line[len("PROXY "):len(line)-2], []byte(" "))
	if len(fields) >= 1 && string(fields[0]) == "UNKNOWN" {
		return ProxyHeader{}, nil
	}
	if len(fields) != 5 || (string(fields[0]) != "TCP4" && string(fields[0]) != "TCP6") {
		return ProxyHeader{}, brokenHeader(line)
	}
	src, err1 := netip.ParseAddr(string(fields[1]))
	dst, err2 := netip.ParseAddr(string(fields[2]))
	sp, err3 := parsePort(fields[3])
	dp, err4 := parsePort(fields[4])
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return ProxyHeader{}, brokenHeader(line)
	}
	if want4 := string(fields[0]) == "TCP4"; src.Is4() != want4 || dst.Is4() != want4 {
		return ProxyHeader{}, brokenHeader(line)
	}
	return ProxyHeader{SrcAddr: src.String(), DstAddr: dst.String(), SrcPort: sp, DstPort: dp}, nil
}

func parsePort(b []byte) (string, error) {
	if len(b) == 0 || len(b) > 5 || (len(b) > 1 && b[0] == '0') {
		return "", errors.New("bad port")
	}
	n, err := strconv.Atoi(string(b))
	if err != nil || n > 65535 {
		return "", errors.New("bad port")
	}
	return string(b), nil
}

func readProxyV2(br *bufio.Reader) (ProxyHeader, error) {
	hdr := make([]byte, 16)
	if _, err := io.ReadFull(br, hdr); err != nil {
		return ProxyHeader{}, err
	}
	verCmd, fam := hdr[12], hdr[13]
	n := int(binary.BigEndian.Uint16(hdr[14:16]))
	if verCmd>>4 != 2 || verCmd&0xf > 1 {
		return ProxyHeader{}, brokenHeader(hdr)
	}
	if 16+n > proxyV2MaxHeader {
		return ProxyHeader{}, fmt.Errorf("%w: PROXY protocol v2 header is too large (%d bytes)", ErrBrokenHeader, 16+n)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(br, body); err != nil {
		return ProxyHeader{}, err
	}
	if verCmd&0xf == 0 { // LOCAL: health checks from the proxy itself
		return ProxyHeader{}, nil
	}
	var alen int
	switch fam >> 4 {
	case 1:
		alen = 4
	case 2:
		alen = 16
	default: // AF_UNSPEC or AF_UNIX: no usable address
		return ProxyHeader{}, nil
	}
	if fam&0xf != 1 && fam&0xf != 2 || n < 2*alen+4 {
		return ProxyHeader{}, brokenHeader(hdr)
	}
	src, _ := netip.AddrFromSlice(body[:alen])
	dst, _ := netip.AddrFromSlice(body[alen : 2*alen])
	return ProxyHeader{
		SrcAddr: src.String(), DstAddr: dst.String(),
		SrcPort: strconv.Itoa(int(binary.BigEndian.Uint16(body[2*alen:]))),
		DstPort: strconv.Itoa(int(binary.BigEndian.Uint16(body[2*alen+2:]))),
	}, nil
}

// AppendProxyV1 appends the PROXY v1 line nginx sends upstream for a client
// at src that connected to dst: TCP4/TCP6 for IP addresses, UNKNOWN for
// anything else (unix sockets).
func AppendProxyV1(b []byte, src, dst net.Addr) []byte {
	s, sok := addrPort(src)
	d, dok := addrPort(dst)
	if !sok || !dok || s.Addr().Is4() != d.Addr().Is4() {
		return append(b, "PROXY UNKNOWN\r\n"...)
	}
	b = append(b, "PROXY TCP"...)
	if s.Addr().Is4() {
		b = append(b, '4')
	} else {
		b = append(b, '6')
	}
	b = append(b, ' ')
	b = s.Addr().AppendTo(b)
	b = append(b, ' ')
	b = d.Addr().AppendTo(b)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(s.Port()), 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(d.Port()), 10)
	return append(b, "\r\n"...)
}

func addrPort(a net.Addr) (netip.AddrPort, bool) {
	t, ok := a.(*net.TCPAddr)
	if !ok || t == nil {
		return netip.AddrPort{}, false
	}
	ap := t.AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()), ap.IsValid()
}
