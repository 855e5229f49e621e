package server

import (
	"net"
	"testing"

	"github.com/straitproxy/strait/internal/accesslog"
	"github.com/straitproxy/strait/internal/config"
)

func TestAccessRulesFirstMatchWins(t *testing.T) {
	tcp := func(s string) net.Addr { a, _ := net.ResolveTCPAddr("tcp", s); return a }
	unix := &net.UnixAddr{Net: "unix"}
	rules := []config.AccessRule{
		{Allow: false, CIDR: "192.0.2.1"},
		{Allow: true, CIDR: "192.0.2.0/24"},
		{Allow: true, CIDR: "2001:db8::/32"},
		{Allow: true, Unix: true},
		{Allow: false, All: true},
	}
	compiled, err := compileAccess(rules)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		remote net.Addr
		want   bool
	}{
		{tcp("192.0.2.1:1"), false},
		{tcp("192.0.2.2:1"), true},
		{tcp("[::ffff:192.0.2.2]:1"), true}, // IPv4-mapped matches the IPv4 rule
		{tcp("[2001:db8::5]:1"), true},
		{tcp("198.51.100.1:1"), false},
		{unix, true},
	} {
		if got := accessAllowed(compiled, tc.remote); got != tc.want {
			t.Errorf("%v: allowed %v, want %v", tc.remote, got, tc.want)
		}
	}
	if !accessAllowed(nil, tcp("198.51.100.1:1")) {
		t.Error("no rules must allow")
	}
	if _, err := compileAccess([]config.AccessRule{{CIDR: "300.1.1.1"}}); err == nil {
		t.Error("bad address accepted")
	}
}

func TestVariablesAndMaps(t *testing.T) {
	tcp := func(s string) net.Addr { a, _ := net.ResolveTCPAddr("tcp", s); return a }
	maps, err := compileMaps([]*config.Map{
		{Source: "$remote_addr", Variable: "trusted", Default: "no", Entries: []config.MapEntry{
			{Match: "127.0.0.1", Value: "yes"},
			{Match: `^10\.`, Regex: true, Value: "internal-$server_port"},
		}},
		{Source: "$trusted", Variable: "loggable", Default: "1", Entries: []config.MapEntry{{Match: "yes", Value: "0"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		remote                          string
		trusted, loggable, binary, port string
	}{
		{"127.0.0.1:5000", "yes", "0", "\x7f\x00\x00\x01", "5000"},
		{"10.1.2.3:6000", "internal-80", "1", "\x0a\x01\x02\x03", "6000"},
		{"[::1]:7000", "no", "1", string(net.IPv6loopback), "7000"},
	} {
		rec := &accesslog.Session{RemoteAddr: tcp(tc.remote), ServerAddr: tcp("192.0.2.1:80")}
		env := &varEnv{rec: rec, maps: maps}
		if got := env.expand("$binary_remote_addr"); got != tc.binary {
			t.Errorf("%s: binary_remote_addr %q", tc.remote, got)
		}
		if got := env.expand("${remote_port}:$server_addr"); got != tc.port+":192.0.2.1" {
			t.Errorf("%s: expand %q", tc.remote, got)
		}
		fillMaps(rec, maps)
		if rec.Vars["trusted"] != tc.trusted || rec.Vars["loggable"] != tc.loggable {
			t.Errorf("%s: vars %v", tc.remote, rec.Vars)
		}
	}
}
