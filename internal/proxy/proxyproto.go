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
// (https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt), with
// nginx's names from src/core/ngx_proxy_protocol.h.
const (
	// proxyV1MaxHeader is NGX_PROXY_PROTOCOL_V1_MAX_HEADER: the longest v1
	// line including CRLF.
	proxyV1MaxHeader = 107
	// proxyV2MaxHeader is NGX_PROXY_PROTOCOL_MAX_HEADER, the most nginx
	// reads of a header: a v2 header with TLVs that does not fit is
	// refused rather than buffered without limit.
	proxyV2MaxHeader = 4096
	proxyV2FixedLen  = 16 // signature, version/command, family, length
)

var (
	proxyV1Prefix    = []byte("PROXY ")
	proxyV2Signature = []byte("\r\n\r\n\x00\r\nQUIT\n")
)

// ProxyHeader is what a client's PROXY protocol header said. Addresses are
// empty for "PROXY UNKNOWN", v2 LOCAL and non-IP families.
type ProxyHeader struct {
	SrcAddr, DstAddr string
	SrcPort, DstPort string
}

// ErrBrokenHeader matches (errors.Is) every error ReadProxyHeader returns
// for a header it refuses; the server ends such sessions with status 400.
var ErrBrokenHeader = errors.New("broken header")

// headerError is a refused header. Its text is what nginx logs for the
// same header ("broken header: ...", "header is too large").
type headerError string

func (e headerError) Error() string        { return string(e) }
func (e headerError) Is(target error) bool { return target == ErrBrokenHeader }

// brokenHeader words a refused v1 line or non-PROXY data as nginx does:
// the bytes up to the first CR or LF. They are quoted Go-style, so control
// bytes cannot forge log lines.
func brokenHeader(b []byte) error {
	if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
		b = b[:i]
	}
	return headerError(fmt.Sprintf("%s: %q", ErrBrokenHeader, b))
}

// ReadProxyHeader reads a PROXY protocol v1 or v2 header from c within
// timeout. It returns the header and any client bytes read past it, which
// must be forwarded before the rest of the stream. A timeout returns an
// error satisfying os.IsTimeout; a refused header an error matching
// ErrBrokenHeader, worded as nginx logs it.
//
// nginx parses whatever the first read returned and refuses a header
// split over several TCP segments; strait waits for the rest, but refuses
// as soon as the bytes read cannot start a valid header: data that is not
// a PROXY header, a v1 line longer than 107 bytes, a v2 header longer than
// 4096 bytes. Only a client that stops sending mid-header waits for the
// timeout (or for the session to be cut, which closes c).
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
	v2, err := sniffProxyVersion(br)
	var h ProxyHeader
	switch {
	case err != nil:
	case v2:
		h, err = readProxyV2(br)
	default:
		h, err = readProxyV1(br)
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

// readMore waits until br holds more than the n bytes it has. Each call
// adds at least one byte, so callers that stop at a fixed size are bounded.
// A client that closes mid-header has sent something that is not a
// header: that is refused like nginx refuses a short header.
func readMore(br *bufio.Reader, n int) error {
	_, err := br.Peek(n + 1)
	if errors.Is(err, io.EOF) && n > 0 {
		b, _ := br.Peek(n)
		return brokenHeader(b)
	}
	return err
}

// sniffProxyVersion reads until the first bytes are "PROXY " (v1) or the
// v2 signature, refusing anything else as soon as it cannot become either.
func sniffProxyVersion(br *bufio.Reader) (v2 bool, err error) {
	for {
		b, _ := br.Peek(br.Buffered())
		switch {
		case bytes.HasPrefix(b, proxyV1Prefix):
			return false, nil
		case bytes.HasPrefix(b, proxyV2Signature):
			return true, nil
		case !bytes.HasPrefix(proxyV1Prefix, b) && !bytes.HasPrefix(proxyV2Signature, b):
			return false, brokenHeader(b[:min(len(b), proxyV1MaxHeader)])
		}
		if err := readMore(br, len(b)); err != nil {
			return false, err
		}
	}
}

// readProxyV1 reads one v1 line: at most 107 bytes up to and including
// CRLF. A longer line is refused once 107 bytes without LF have arrived,
// not when the timeout expires.
func readProxyV1(br *bufio.Reader) (ProxyHeader, error) {
	for {
		b, _ := br.Peek(br.Buffered())
		if i := bytes.IndexByte(b[:min(len(b), proxyV1MaxHeader)], '\n'); i >= 0 {
			h, err := parseProxyV1(b[:i+1])
			br.Discard(i + 1)
			return h, err
		}
		if len(b) >= proxyV1MaxHeader {
			return ProxyHeader{}, brokenHeader(b[:proxyV1MaxHeader])
		}
		if err := readMore(br, len(b)); err != nil {
			return ProxyHeader{}, err
		}
	}
}

// parseProxyV1 parses a complete line ending in LF.
func parseProxyV1(line []byte) (ProxyHeader, error) {
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return ProxyHeader{}, brokenHeader(line)
	}
	fields := bytes.Split(line[len(proxyV1Prefix):len(line)-2], []byte(" "))
	if string(fields[0]) == "UNKNOWN" {
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

// readProxyV2 reads a binary header, following ngx_proxy_protocol_v2_read:
// only version 2 is accepted; a header longer than nginx reads is refused
// before its body is read; commands other than PROXY, transports other
// than STREAM and families other than INET and INET6 are skipped with no
// address, as nginx skips them.
func readProxyV2(br *bufio.Reader) (ProxyHeader, error) {
	hdr := make([]byte, proxyV2FixedLen)
	if n, err := io.ReadFull(br, hdr); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return ProxyHeader{}, brokenHeader(hdr[:n])
		}
		return ProxyHeader{}, err
	}
	verCmd, fam := hdr[12], hdr[13]
	n := int(binary.BigEndian.Uint16(hdr[14:16]))
	if verCmd>>4 != 2 {
		return ProxyHeader{}, headerError(fmt.Sprintf("unknown PROXY protocol version: %d", verCmd>>4))
	}
	if proxyV2FixedLen+n > proxyV2MaxHeader {
		return ProxyHeader{}, headerError("header is too large")
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(br, body); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			// The client closed before the length it announced: nginx,
			// which parses what it has, says the same.
			return ProxyHeader{}, headerError("header is too large")
		}
		return ProxyHeader{}, err
	}
	if verCmd&0xf != 1 || fam&0xf != 1 { // not PROXY (LOCAL: the proxy's own health checks), not STREAM
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
	if n < 2*alen+4 {
		// nginx refuses this header without a word; say why.
		return ProxyHeader{}, headerError(fmt.Sprintf("broken header: PROXY protocol v2 address block too short (%d bytes)", n))
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
