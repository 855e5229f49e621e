package vars

import (
	"net"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/ngxconf"
)

var end = time.Date(2026, 11, 29, 11, 4, 1, 123_000_000, time.UTC)

func tcp(ip string, port int) *net.TCPAddr { return &net.TCPAddr{IP: net.ParseIP(ip), Port: port} }

// session is a finished session that reached its second upstream.
func session() *Session {
	return &Session{
		Connection: 5, Start: end.Add(-1234 * time.Millisecond), End: end,
		RemoteAddr: tcp("10.1.2.3", 54321), ServerAddr: tcp("127.0.0.1", 12345),
		Protocol: "TCP", Status: 200, BytesSent: 4096, BytesReceived: 120,
		Attempts: []Attempt{
			{Addr: "10.0.0.1:9000", SessionTime: 3 * time.Millisecond},
			{Addr: "10.0.0.2:9000", BytesSent: 120, BytesReceived: 4096, ConnectTime: 1500 * time.Microsecond, Connected: true},
		},
		Hostname: "edge1", PID: 1234,
	}
}

func build(t testing.TB, maps ...*config.Map) *Registry {
	t.Helper()
	reg, err := Build(maps, Options{Version: "0.1.0", Now: func() time.Time { return end }})
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func eval(t testing.TB, reg *Registry, text string, s *Session) string {
	t.Helper()
	e, err := reg.Compile(text)
	if err != nil {
		t.Fatalf("%s: %v", text, err)
	}
	return string(e.Append(nil, s))
}

func TestExpressionValues(t *testing.T) {
	reg := build(t)
	for _, tt := range []struct{ text, want string }{
		{"", ""},
		{"plain text", "plain text"},
		{"$remote_addr:$remote_port", "10.1.2.3:54321"},
		{"${server_addr}x${SERVER_PORT}", "127.0.0.1x12345"},
		{"$binary_remote_addr", "\x0a\x01\x02\x03"},
		{"$status/$connection/$protocol/$hostname/$pid/$nginx_version", "200/5/TCP/edge1/1234/0.1.0"},
		{"$bytes_sent $bytes_received $session_time $msec", "4096 120 1.234 1795950241.123"},
		{"$time_iso8601 [$time_local]", "2026-11-29T11:04:01+00:00 [29/Nov/2026:11:04:01 +0000]"},
		{"$upstream_addr|$upstream_connect_time|$upstream_bytes_received", "10.0.0.1:9000, 10.0.0.2:9000|-, 0.001|0, 4096"},
		{"[$proxy_protocol_addr]", "[]"}, // not found: nothing
		{"$1$9", ""},                     // no regex matched yet
	} {
		if got := eval(t, reg, tt.text, session()); got != tt.want {
			t.Errorf("%q = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestExpressionErrors(t *testing.T) {
	reg := build(t)
	for _, tt := range []struct{ text, want string }{
		{"$", "invalid variable name"},
		{"a$", "invalid variable name"},
		{"$-x", "invalid variable name"},
		{"${}", "invalid variable name"},
		{"${", "invalid variable name"},
		{"${remote_addr", `the closing bracket in "remote_addr" variable is missing`},
		{"${remote-addr}", `the closing bracket in "remote" variable is missing`},
		{"$nope", `unknown "nope" variable`},
		{"$0", `unknown "0" variable`},
		{"$geoip_country_code", `unknown "geoip_country_code" variable`},
	} {
		_, err := reg.Compile(tt.text)
		if err == nil || err.Error() != tt.want {
			t.Errorf("%q: got %v, want %q", tt.text, err, tt.want)
		}
	}
}

func TestUnknownVariableHints(t *testing.T) {
	_, err := build(t).CompileAt("$geoip_country_code", ngxconf.Pos{File: "/etc/strait.conf", Line: 7})
	if err == nil || err.Error() != `unknown "geoip_country_code" variable in /etc/strait.conf:7 (nginx's ngx_stream_geoip_module defines it; strait does not support it yet)` {
		t.Errorf("got %v", err)
	}
}

func TestClockVariablesBeforeTheEnd(t *testing.T) {
	s := session()
	s.End = time.Time{}
	s.Status = 0
	// While the session runs, $session_time and $msec follow the clock
	// (Options.Now, here end) and $status is nginx's "000".
	if got := eval(t, build(t), "$session_time $msec $status", s); got != "1.234 1795950241.123 000" {
		t.Errorf("got %q", got)
	}
}

func TestUnixSockets(t *testing.T) {
	s := session()
	s.RemoteAddr = &net.UnixAddr{Name: "@", Net: "unix"}
	s.ServerAddr = &net.UnixAddr{Name: "/run/strait.sock", Net: "unix"}
	if got := eval(t, build(t), "[$remote_addr][$remote_port][$server_addr][$server_port]", s); got != "[unix:][][unix:/run/strait.sock][]" {
		t.Errorf("got %q", got)
	}
	if got := eval(t, build(t), "$binary_remote_addr", s); got != "\x00\x00\x00\x00" {
		t.Errorf("binary_remote_addr %q", got)
	}
}

func TestBuiltinsAppendWithoutAllocating(t *testing.T) {
	reg := build(t)
	e, err := reg.Compile("$remote_addr $binary_remote_addr $status $upstream_addr $time_local $session_time $upstream_connect_time")
	if err != nil {
		t.Fatal(err)
	}
	s := session()
	buf := make([]byte, 0, 512)
	if n := testing.AllocsPerRun(100, func() { buf = e.Append(buf[:0], s) }); n != 0 {
		t.Errorf("%.1f allocations per evaluation", n)
	}
}
