package proxy

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

func proxyV2(cmd, fam byte, body []byte) string {
	b := append([]byte{}, proxyV2Signature...)
	b = append(b, 0x20|cmd, fam, 0, 0)
	binary.BigEndian.PutUint16(b[14:], uint16(len(body)))
	return string(append(b, body...))
}

// readHeader feeds pieces to ReadProxyHeader, one write each, through a
// pipe that delivers every write as a read of its own (the way separate
// TCP segments can arrive). Unless closeAfter, the client then stays
// connected and silent: a verdict must come from the bytes alone. The
// reader's own timeout is an hour, so a reader that waited for more would
// be caught by the 10 s failure bound here instead.
func readHeader(t *testing.T, pieces []string, closeAfter bool) (ProxyHeader, []byte, error) {
	t.Helper()
	a, b := net.Pipe()
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		for _, p := range pieces {
			if _, err := b.Write([]byte(p)); err != nil {
				return
			}
		}
		if closeAfter {
			b.Close()
		}
	}()
	type result struct {
		h    ProxyHeader
		rest []byte
		err  error
	}
	done := make(chan result, 1)
	go func() {
		h, rest, err := ReadProxyHeader(a, time.Hour)
		done <- result{h, rest, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(10 * time.Second):
		a.Close()
		<-done
		t.Fatal("ReadProxyHeader still waiting after the client's bytes settled the header")
	}
	a.Close()
	b.Close()
	<-wrote
	return r.h, r.rest, r.err
}

// bytewise splits s into one-byte pieces.
func bytewise(s string) []string {
	out := make([]string, len(s))
	for i := range s {
		out[i] = s[i : i+1]
	}
	return out
}

func TestReadProxyHeader(t *testing.T) {
	v4body := []byte{192, 0, 2, 1, 198, 51, 100, 2, 0x13, 0x88, 0x00, 0x50}
	v6body := make([]byte, 36)
	v6body[15], v6body[31] = 1, 2
	binary.BigEndian.PutUint16(v6body[32:], 1234)
	binary.BigEndian.PutUint16(v6body[34:], 443)
	v4 := ProxyHeader{"192.0.2.1", "198.51.100.2", "5000", "80"}
	// A v1 line of exactly 107 bytes with its CRLF, and one byte more.
	line107 := "PROXY UNKNOWN " + strings.Repeat("x", proxyV1MaxHeader-len("PROXY UNKNOWN ")-2) + "\r\n"
	line108 := "PROXY UNKNOWN " + strings.Repeat("x", proxyV1MaxHeader-len("PROXY UNKNOWN ")-1) + "\r\n"
	// A v2 header of 4096 bytes (TLVs fill it up), and one whose length
	// field announces one byte more.
	tlv := make([]byte, proxyV2MaxHeader-proxyV2FixedLen-len(v4body))
	tlv[0] = 0x04 // PP2_TYPE_NOOP
	binary.BigEndian.PutUint16(tlv[1:], uint16(len(tlv)-3))
	v2Max := proxyV2(1, 0x11, append(append([]byte{}, v4body...), tlv...))
	v2TooLarge := proxyV2(1, 0x11, make([]byte, proxyV2MaxHeader-proxyV2FixedLen+1))[:proxyV2FixedLen]
	for _, tc := range []struct {
		name   string
		pieces []string
		close  bool // the client closes after its pieces; else it stays silent
		want   ProxyHeader
		rest   string
		err    string // the refusal, as logged; "" for a header that is accepted
		// bytewiseErr is the refusal when the bytes arrive one by one, if
		// it differs: only what has arrived is logged.
		bytewiseErr string
	}{
		{name: "v1 tcp4", pieces: []string{"PROXY TCP4 192.0.2.1 198.51.100.2 5000 80\r\nhello"}, want: v4, rest: "hello"},
		{name: "v1 tcp6", pieces: []string{"PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n"}, want: ProxyHeader{"2001:db8::1", "2001:db8::2", "1", "2"}},
		{name: "v1 unknown", pieces: []string{"PROXY UNKNOWN\r\ndata"}, rest: "data"},
		{name: "v1 unknown with addresses", pieces: []string{"PROXY UNKNOWN ff:: 1:: 1 2\r\n"}},
		{name: "v1 in pieces", pieces: []string{"PRO", "XY TCP4 192.0.2.1", " 198.51.100.2 5000 ", "80\r", "\nhello"}, want: v4, rest: "hello"},
		{name: "v1 of 107 bytes", pieces: []string{line107 + "z"}, rest: "z"},
		{name: "v1 of 108 bytes", pieces: []string{line108}, err: `broken header: "` + line108[:proxyV1MaxHeader-1] + `"`}, // up to the CR, as nginx logs it
		{name: "v1 over-long without CRLF", pieces: []string{"PROXY TCP4 " + strings.Repeat("1", 200)},
			err: `broken header: "PROXY TCP4 ` + strings.Repeat("1", proxyV1MaxHeader-len("PROXY TCP4 ")) + `"`},
		{name: "v1 over-long in pieces", pieces: []string{"PROXY TCP4 ", strings.Repeat("1", 60), strings.Repeat("1", 60)},
			err: `broken header: "PROXY TCP4 ` + strings.Repeat("1", proxyV1MaxHeader-len("PROXY TCP4 ")) + `"`},
		{name: "v1 family mismatch", pieces: []string{"PROXY TCP4 2001:db8::1 192.0.2.1 1 2\r\n"}, err: `broken header: "PROXY TCP4 2001:db8::1 192.0.2.1 1 2"`},
		{name: "v1 bad port", pieces: []string{"PROXY TCP4 192.0.2.1 192.0.2.2 70000 2\r\n"}, err: `broken header: "PROXY TCP4 192.0.2.1 192.0.2.2 70000 2"`},
		{name: "v1 missing CR", pieces: []string{"PROXY TCP4 192.0.2.1 192.0.2.2 1 2\n"}, err: `broken header: "PROXY TCP4 192.0.2.1 192.0.2.2 1 2"`},
		{name: "v1 cut short", pieces: []string{"PROXY TCP4 192.0.2.1"}, close: true, err: `broken header: "PROXY TCP4 192.0.2.1"`},
		{name: "not proxy", pieces: []string{"GET / HTTP/1.0\r\n\r\n"}, err: `broken header: "GET / HTTP/1.0"`, bytewiseErr: `broken header: "G"`},
		{name: "not proxy, short", pieces: []string{"GET"}, err: `broken header: "GET"`, bytewiseErr: `broken header: "G"`},
		{name: "TLS client hello", pieces: []string{"\x16\x03\x01\x02\x00"}, err: `broken header: "\x16\x03\x01\x02\x00"`, bytewiseErr: `broken header: "\x16"`},
		{name: "prefix then close", pieces: []string{"PROX"}, close: true, err: `broken header: "PROX"`},
		{name: "v2 tcp4", pieces: []string{proxyV2(1, 0x11, v4body) + "rest"}, want: v4, rest: "rest"},
		{name: "v2 in pieces", pieces: []string{proxyV2(1, 0x11, v4body)[:7], proxyV2(1, 0x11, v4body)[7:20], proxyV2(1, 0x11, v4body)[20:] + "rest"}, want: v4, rest: "rest"},
		{name: "v2 tcp6 with TLV", pieces: []string{proxyV2(1, 0x21, append(v6body, 0x04, 0, 1, 'x'))}, want: ProxyHeader{"::1", "::2", "1234", "443"}},
		{name: "v2 of 4096 bytes", pieces: []string{v2Max}, want: v4},
		{name: "v2 too large", pieces: []string{v2TooLarge}, err: "header is too large"},
		{name: "v2 cut short", pieces: []string{proxyV2(1, 0x11, v4body)[:20]}, close: true, err: "header is too large"},
		{name: "v2 fixed part cut short", pieces: []string{proxyV2(1, 0x11, v4body)[:14]}, close: true, err: `broken header: ""`},
		{name: "v2 local", pieces: []string{proxyV2(0, 0x00, nil) + "x"}, rest: "x"},
		{name: "v2 unknown command", pieces: []string{proxyV2(2, 0x11, v4body)}},
		{name: "v2 datagram transport", pieces: []string{proxyV2(1, 0x12, v4body)}},
		{name: "v2 unix family", pieces: []string{proxyV2(1, 0x31, make([]byte, 216))}},
		{name: "v2 short address", pieces: []string{proxyV2(1, 0x11, v4body[:8])}, err: "broken header: PROXY protocol v2 address block too short (8 bytes)"},
		{name: "v2 bad version", pieces: []string{string(proxyV2Signature) + "\x31\x11\x00\x00"}, err: "unknown PROXY protocol version: 3"},
	} {
		for _, split := range []bool{false, true} {
			pieces, name, wantErr := tc.pieces, tc.name, tc.err
			if split {
				pieces, name = bytewise(strings.Join(tc.pieces, "")), name+" byte by byte"
				if tc.bytewiseErr != "" {
					wantErr = tc.bytewiseErr
				}
			}
			t.Run(name, func(t *testing.T) {
				h, rest, err := readHeader(t, pieces, tc.close)
				if wantErr != "" {
					if !errors.Is(err, ErrBrokenHeader) || err.Error() != wantErr {
						t.Fatalf("err %v, want refusal %q", err, wantErr)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				// Byte by byte, the reader stops right after the header.
				if h != tc.want || string(rest) != tc.rest && !(split && strings.HasPrefix(tc.rest, string(rest))) {
					t.Errorf("got %+v rest %q, want %+v rest %q", h, rest, tc.want, tc.rest)
				}
			})
		}
	}
}

func TestReadProxyHeaderTimesOut(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go b.Write([]byte("PROXY TCP4"))
	if _, _, err := ReadProxyHeader(a, 50*time.Millisecond); !os.IsTimeout(err) {
		t.Fatalf("err %v, want timeout", err)
	}
}

func TestReadProxyHeaderClientGone(t *testing.T) {
	// Nothing at all before the close is no header, not a broken one. A
	// TCP pair, not net.Pipe: a pipe whose far end has closed refuses
	// SetReadDeadline, which a socket never does.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	client.Close()
	_, _, err = ReadProxyHeader(server, 10*time.Second)
	if !errors.Is(err, io.EOF) || errors.Is(err, ErrBrokenHeader) {
		t.Fatalf("err %v, want EOF", err)
	}
}

func TestAppendProxyV1(t *testing.T) {
	tcp := func(s string) net.Addr { a, _ := net.ResolveTCPAddr("tcp", s); return a }
	for _, tc := range []struct {
		src, dst net.Addr
		want     string
	}{
		{tcp("192.0.2.1:5000"), tcp("198.51.100.2:80"), "PROXY TCP4 192.0.2.1 198.51.100.2 5000 80\r\n"},
		{tcp("[2001:db8::1]:1"), tcp("[::1]:2"), "PROXY TCP6 2001:db8::1 ::1 1 2\r\n"},
		{tcp("[::ffff:192.0.2.1]:1"), tcp("192.0.2.2:2"), "PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\n"},
		{&net.UnixAddr{Name: "/s", Net: "unix"}, tcp("192.0.2.2:2"), "PROXY UNKNOWN\r\n"},
	} {
		if got := string(AppendProxyV1(nil, tc.src, tc.dst)); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

func TestAttemptErrorText(t *testing.T) {
	refused := &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", errnoRefused)}
	for _, tc := range []struct {
		addr  string
		stage Stage
		err   error
		want  string
	}{
		{"127.0.0.1:1", StageConnect, refused, "connect() failed (111: Connection refused)"},
		{"unix:/tmp/x.sock", StageConnect, &net.OpError{Op: "dial", Err: os.NewSyscallError("connect", errnoNoEnt)}, "connect() to unix:/tmp/x.sock failed (2: No such file or directory)"},
		{"127.0.0.1:1", StageConnect, &net.OpError{Op: "dial", Err: os.ErrDeadlineExceeded}, "upstream timed out (110: Connection timed out)"},
		{"127.0.0.1:1", StageHandshake, errors.New(`upstream SSL certificate does not match "x"`), `upstream SSL certificate does not match "x"`},
	} {
		if got := attemptErrorText(tc.addr, tc.stage, tc.err); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}
