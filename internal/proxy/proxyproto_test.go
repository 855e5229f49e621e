package proxy

import (
	"encoding/binary"
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

func proxyV2(cmd, fam byte, body []byte) string {
	b := append([]byte{}, proxyV2Signature...)
	b = append(b, 0x20|cmd, fam, 0, 0)
	binary.BigEndian.PutUint16(b[14:], uint16(len(body)))
	return string(append(b, body...))
}

func TestReadProxyHeader(t *testing.T) {
	v4body := []byte{192, 0, 2, 1, 198, 51, 100, 2, 0x13, 0x88, 0x00, 0x50}
	v6body := make([]byte, 36)
	v6body[15], v6body[31] = 1, 2
	binary.BigEndian.PutUint16(v6body[32:], 1234)
	binary.BigEndian.PutUint16(v6body[34:], 443)
	for _, tc := range []struct {
		name, in string
		want     ProxyHeader
		rest     string
		broken   bool
	}{
		{"v1 tcp4", "PROXY TCP4 192.0.2.1 198.51.100.2 5000 80\r\nhello", ProxyHeader{"192.0.2.1", "198.51.100.2", "5000", "80"}, "hello", false},
		{"v1 tcp6", "PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n", ProxyHeader{"2001:db8::1", "2001:db8::2", "1", "2"}, "", false},
		{"v1 unknown", "PROXY UNKNOWN\r\ndata", ProxyHeader{}, "data", false},
		{"v1 unknown with addresses", "PROXY UNKNOWN ff:: 1:: 1 2\r\n", ProxyHeader{}, "", false},
		{"v1 family mismatch", "PROXY TCP4 2001:db8::1 192.0.2.1 1 2\r\n", ProxyHeader{}, "", true},
		{"v1 bad port", "PROXY TCP4 192.0.2.1 192.0.2.2 70000 2\r\n", ProxyHeader{}, "", true},
		{"v1 missing CR", "PROXY TCP4 192.0.2.1 192.0.2.2 1 2\n", ProxyHeader{}, "", true},
		{"v1 too long", "PROXY TCP4 " + string(make([]byte, 120)) + "\r\n", ProxyHeader{}, "", true},
		{"not proxy", "GET / HTTP/1.1\r\n\r\n", ProxyHeader{}, "", true},
		{"v2 tcp4", proxyV2(1, 0x11, v4body) + "rest", ProxyHeader{"192.0.2.1", "198.51.100.2", "5000", "80"}, "rest", false},
		{"v2 tcp6 with TLV", proxyV2(1, 0x21, append(v6body, 0x04, 0, 1, 'x')), ProxyHeader{"::1", "::2", "1234", "443"}, "", false},
		{"v2 local", proxyV2(0, 0x00, nil) + "x", ProxyHeader{}, "x", false},
		{"v2 short address", proxyV2(1, 0x11, v4body[:8]), ProxyHeader{}, "", true},
		{"v2 bad version", string(proxyV2Signature) + "\x31\x11\x00\x00", ProxyHeader{}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b := net.Pipe()
			defer a.Close()
			go func() {
				b.Write([]byte(tc.in))
				b.Close()
			}()
			h, rest, err := ReadProxyHeader(a, time.Second)
			if tc.broken {
				if !errors.Is(err, ErrBrokenHeader) {
					t.Fatalf("err %v, want broken header", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if h != tc.want || string(rest) != tc.rest {
				t.Errorf("got %+v rest %q, want %+v rest %q", h, rest, tc.want, tc.rest)
			}
		})
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
