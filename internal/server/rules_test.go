package server

import (
	"net"
	"testing"

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
