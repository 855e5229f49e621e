package accesslog

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/vars"
)

// registry returns the built-in variables plus extra.
func registry(tb testing.TB, extra ...vars.Definition) *vars.Registry {
	tb.Helper()
	b, err := vars.NewBuilder(append(vars.Builtins(vars.Options{Version: "1.2.3"}), extra...)...)
	if err != nil {
		tb.Fatal(err)
	}
	return b.Build()
}

// constant is a test variable with a fixed value; found false makes it
// "not found".
func constant(name, value string, found bool) vars.Definition {
	return vars.Definition{Name: name, Get: func(dst []byte, _ *vars.Session) ([]byte, bool) {
		return append(dst, value...), found
	}}
}

// The proxy format from NGINX-NOTES.md.
const proxyFormat = `$remote_addr [$time_local] $protocol $status $bytes_sent $bytes_received ` +
	`$session_time "$upstream_addr" "$upstream_bytes_sent" "$upstream_bytes_received" "$upstream_connect_time"`

const upstreamFormat = `$upstream_addr|$upstream_bytes_sent|$upstream_bytes_received|` +
	`$upstream_connect_time|$upstream_first_byte_time|$upstream_session_time`

var end = time.Date(2026, 11, 29, 11, 4, 1, 123_000_000, time.UTC)

func tcp(ip string, port int) *net.TCPAddr { return &net.TCPAddr{IP: net.ParseIP(ip), Port: port} }

// twoAttempts is a session whose first attempt failed to connect and whose
// second carried the traffic over TLS.
func twoAttempts() *Session {
	return &Session{
		Connection: 5, Start: end.Add(-1234 * time.Millisecond), End: end,
		RemoteAddr: tcp("127.0.0.1", 54321), ServerAddr: tcp("127.0.0.1", 12345),
		Protocol: "TCP", Status: 200, BytesSent: 4096, BytesReceived: 120,
		Attempts: []Attempt{
			{Addr: "10.0.0.1:9000", SessionTime: 3 * time.Millisecond},
			{
				Addr: "10.0.0.2:9000", BytesSent: 120, BytesReceived: 4096,
				ConnectTime: 1500 * time.Microsecond, Connected: true,
				FirstByteTime: 5 * time.Millisecond, GotFirstByte: true,
				SessionTime: 1230 * time.Millisecond,
			},
		},
		SSL: UpstreamSSL{
			Used: true, Protocol: "TLSv1.3", Cipher: "TLS_AES_128_GCM_SHA256",
			Reused: true, Verify: "OK", ServerName: "backend.example",
		},
		Hostname: "edge1", PID: 1234,
	}
}

func noLiveUpstreams() *Session {
	return &Session{
		Connection: 6, Start: end, End: end,
		RemoteAddr: tcp("127.0.0.1", 54322), ServerAddr: tcp("127.0.0.1", 12345),
		Protocol: "TCP", Status: 502, UpstreamGroup: "backend",
	}
}

func denied() *Session {
	return &Session{
		Connection: 7, Start: end.Add(-time.Millisecond), End: end,
		RemoteAddr: tcp("192.0.2.7", 40000), ServerAddr: tcp("127.0.0.1", 12345),
		Protocol: "TCP", Status: 403,
	}
}

func TestAppendGolden(t *testing.T) {
	failedThenNoLive := twoAttempts()
	failedThenNoLive.Attempts = failedThenNoLive.Attempts[:1]
	failedThenNoLive.UpstreamGroup = "backend"
	failedThenNoLive.Status = 502

	unix := denied()
	unix.RemoteAddr = &net.UnixAddr{Name: "@", Net: "unix"}
	unix.ServerAddr = &net.UnixAddr{Name: "/run/strait.sock", Net: "unix"}

	v6 := denied()
	v6.RemoteAddr = tcp("2001:db8::1", 5000)
	v6.ServerAddr = tcp("::ffff:127.0.0.1", 443)

	tests := []struct {
		name   string
		format string
		s      *Session
		want   string
	}{
		{"proxy format, two attempts", proxyFormat, twoAttempts(),
			`127.0.0.1 [29/Nov/2026:11:04:01 +0000] TCP 200 4096 120 1.234 "10.0.0.1:9000, 10.0.0.2:9000" "0, 120" "0, 4096" "-, 0.001"`},
		{"proxy format, no live upstreams", proxyFormat, noLiveUpstreams(),
			`127.0.0.1 [29/Nov/2026:11:04:01 +0000] TCP 502 0 0 0.000 "backend" "0" "0" "-"`},
		{"proxy format, denied", proxyFormat, denied(),
			`192.0.2.7 [29/Nov/2026:11:04:01 +0000] TCP 403 0 0 0.001 "-" "-" "-" "-"`},
		{"upstream lists, two attempts", upstreamFormat, twoAttempts(),
			`10.0.0.1:9000, 10.0.0.2:9000|0, 120|0, 4096|-, 0.001|-, 0.005|0.003, 1.230`},
		{"upstream lists, no live upstreams", upstreamFormat, noLiveUpstreams(),
			`backend|0|0|-|-|0.000`},
		{"upstream lists, failed then no live upstreams", upstreamFormat, failedThenNoLive,
			`10.0.0.1:9000, backend|0, 0|0, 0|-, -|-, -|0.003, 0.000`},
		{"upstream lists, denied", upstreamFormat, denied(), `-|-|-|-|-|-`},
		{"upstream ssl", `$upstream_ssl_protocol $upstream_ssl_cipher $upstream_ssl_session_reused $upstream_ssl_verify $upstream_ssl_server_name`,
			twoAttempts(), `TLSv1.3 TLS_AES_128_GCM_SHA256 r OK backend.example`},
		{"upstream ssl, not used", `$upstream_ssl_protocol $upstream_ssl_cipher $upstream_ssl_session_reused $upstream_ssl_verify $upstream_ssl_server_name`,
			denied(), `- - - - -`},
		{"session and time variables", `$connection $msec $time_iso8601 $hostname $pid $status`,
			twoAttempts(), `5 1795950241.123 2026-11-29T11:04:01+00:00 edge1 1234 200`},
		{"addresses and ports", `$remote_addr:$remote_port $server_addr:$server_port`,
			twoAttempts(), `127.0.0.1:54321 127.0.0.1:12345`},
		{"unix sockets", `$remote_addr $remote_port $server_addr $server_port`,
			unix, `unix:  unix:/run/strait.sock `}, // a unix socket's port is found and empty, as in nginx
		{"ipv6 and mapped ipv4", `$remote_addr $remote_port $server_addr $server_port`,
			v6, `2001:db8::1 5000 127.0.0.1 443`},
		{"proxy protocol unset", `$proxy_protocol_addr:$proxy_protocol_port`, denied(), `-:-`},
		{"braces, case and text", `${remote_addr}x $REMOTE_PORT-${Protocol}s`, twoAttempts(), `127.0.0.1x 54321-TCPs`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Compile(registry(t), tt.format, "default")
			if err != nil {
				t.Fatal(err)
			}
			got := string(f.Append(nil, tt.s))
			if got != tt.want+"\n" {
				t.Errorf("got  %q\nwant %q", got, tt.want+"\n")
			}
		})
	}
}

func TestProxyProtocolVariables(t *testing.T) {
	s := denied()
	s.ProxyProtocolAddr, s.ProxyProtocolPort = "198.51.100.9", "61000"
	f, err := Compile(registry(t), `$proxy_protocol_addr:$proxy_protocol_port`, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := string(f.Append(nil, s)); got != "198.51.100.9:61000\n" {
		t.Errorf("got %q", got)
	}
}

func TestEscapeModes(t *testing.T) {
	s := denied()
	reg := registry(t, constant("v", "a\"b\\c\n\td\x01\x7f\u00e9 z/", true),
		constant("empty", "", true), constant("missing", "", false))
	tests := []struct {
		escape string
		want   string
	}{
		// Checked against nginx 1.22: an empty (found) value logs as "", a
		// not-found variable as "-" (default) or nothing (json, none).
		{"default", `"a\x22b\x5Cc\x0A\x09d\x01\x7F\xC3\xA9 z/" "" "-" "403"`},
		{"", `"a\x22b\x5Cc\x0A\x09d\x01\x7F\xC3\xA9 z/" "" "-" "403"`},
		{"json", `"a\"b\\c\n\td\u0001` + "\x7f\u00e9" + ` z/" "" "" "403"`},
		{"none", "\"a\"b\\c\n\td\x01\x7f\u00e9 z/\" \"\" \"\" \"403\""},
	}
	for _, tt := range tests {
		t.Run(tt.escape, func(t *testing.T) {
			f, err := Compile(reg, `"$v" "$empty" "$missing" "$status"`, tt.escape)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(f.Append(nil, s)); got != tt.want+"\n" {
				t.Errorf("got  %q\nwant %q", got, tt.want+"\n")
			}
		})
	}
}

func TestVariableNamesIgnoreCase(t *testing.T) {
	reg := registry(t, constant("tenant", "blue", true))
	f, err := Compile(reg, `${Tenant} $REMOTE_addr`, "default")
	if err != nil {
		t.Fatal(err)
	}
	if got := string(f.Append(nil, denied())); got != "blue 192.0.2.7\n" {
		t.Errorf("got %q", got)
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		format, escape, want string
	}{
		{`$remote_addr $nope`, "default", `unknown "nope" variable`},
		{`$remote_addr`, "xml", `unknown log format escaping "xml"`},
		{`${remote_addr x`, "default", `the closing bracket in "remote_addr" variable is missing`},
		{`${remote_addr`, "default", `the closing bracket in "remote_addr" variable is missing`},
		{`tail $`, "default", `invalid parameter "$"`},
		{`a $-b`, "default", `invalid parameter "$-b"`},
		{`$1`, "default", `unknown "1" variable`},
		{`${}`, "default", `invalid parameter "${}"`},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			_, err := Compile(registry(t), tt.format, tt.escape)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
}

func TestAppendReusesBuffer(t *testing.T) {
	f, err := Compile(registry(t), proxyFormat, "default")
	if err != nil {
		t.Fatal(err)
	}
	s := twoAttempts()
	buf := make([]byte, 0, 1024)
	allocs := testing.AllocsPerRun(100, func() { buf = f.Append(buf[:0], s) })
	if allocs != 0 {
		t.Errorf("Append allocated %.1f times per line", allocs)
	}
	if !strings.HasSuffix(string(buf), "\"-, 0.001\"\n") {
		t.Errorf("unexpected line %q", buf)
	}
}

func BenchmarkAppend(b *testing.B) {
	f, err := Compile(registry(b), proxyFormat+` $upstream_ssl_protocol $upstream_ssl_session_reused $time_iso8601`, "default")
	if err != nil {
		b.Fatal(err)
	}
	s := twoAttempts()
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf = f.Append(buf[:0], s)
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkRecord(b *testing.B) {
	f, err := Compile(registry(b), proxyFormat, "default")
	if err != nil {
		b.Fatal(err)
	}
	w, err := Open(b.TempDir()+"/access.log", WriterOptions{Buffer: 64 << 10})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	l := &Log{Format: f, Writer: w}
	s := twoAttempts()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.Record(s)
		}
	})
}
