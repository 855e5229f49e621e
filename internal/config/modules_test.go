package config

import (
	"net/netip"
	"strings"
	"testing"
)

// TestModuleDirectiveErrors checks the words and lines of set, return,
// geo, split_clients and set_real_ip_from errors against nginx's (each
// case was run through nginx -t).
func TestModuleDirectiveErrors(t *testing.T) {
	const at = " in /etc/strait/strait.conf:"
	srv := func(lines string) string {
		return "events {} stream {\n server {\n  listen 10001;\n" + lines + "\n }\n}\n"
	}
	for _, tt := range []struct{ name, conf, want string }{
		{"set", srv("set $a $remote_addr;\nreturn $a;"), ""},
		{"set name", srv("set a b;\nreturn x;"), `invalid variable name "a"` + at + "4"},
		{"set empty name", srv("set $ b;\nreturn x;"), `invalid variable name "$"` + at + "4"},
		{"set in stream", "events {} stream { set $a b; }", `"set" directive is not allowed here` + at + "1"},
		{"return only", srv("return x;"), ""},
		{"return twice", srv("return x;\nreturn y;"), `"return" directive is duplicate` + at + "5"},
		{"no handler", srv(""), `no handler for server` + at + "2"},
		{"geo", "events {} stream { geo $g { default a; 10.0.0.0/8 b; ::1 c; } }", ""},
		{"geo source", "events {} stream { geo $remote_addr $g { default a; } }", ""},
		{"geo name", "events {} stream { geo g { default a; } }", `invalid variable name "g"` + at + "1"},
		{"geo source name", "events {} stream { geo a $g { default a; } }", `invalid variable name "a"` + at + "1"},
		{"geo ranges late", "events {} stream { geo $g {\ndefault a;\nranges;\n} }", `the "ranges" directive must be the first directive inside "geo" block` + at + "3"},
		{"geo ranges after delete", "events {} stream { geo $g {\ndelete 10.0.0.0/8;\nranges;\n} }", `the "ranges" directive must be the first directive inside "geo" block` + at + "3"},
		{"geo ranges twice", "events {} stream { geo $g {\nranges;\n1.0.0.0-1.0.0.1 a;\nranges;\n} }", ""},
		{"geo params", "events {} stream { geo $g {\nx;\n} }", `invalid number of the geo parameters` + at + "2"},
		{"geo three", "events {} stream { geo $g {\na b c;\n} }", `invalid number of the geo parameters` + at + "2"},
		{"geo block", "events {} stream { geo $g {\na { }\n} }", `unexpected "{"` + at + "2"},
		{"geo network", "events {} stream { geo $g {\n255.255.255.255/32 x;\n} }", `invalid network "255.255.255.255/32"` + at + "2"},
		{"geo v6 bits", "events {} stream { geo $g {\n::1/129 x;\n} }", `invalid network "::1/129"` + at + "2"},
		{"geo range", "events {} stream { geo $g {\nranges;\n10.0.0.0/8 x;\n} }", `invalid range "10.0.0.0/8"` + at + "3"},
		{"geo range order", "events {} stream { geo $g {\nranges;\n1.2.3.4-1.2.3.3 x;\n} }", `invalid range "1.2.3.4-1.2.3.3"` + at + "3"},
		{"geo range to broadcast", "events {} stream { geo $g {\nranges;\n0.0.0.0-255.255.255.255 x;\n} }", `invalid range "0.0.0.0-255.255.255.255"` + at + "3"},
		{"geo overlap", "events {} stream { geo $g {\nranges;\n1.0.0.0-1.0.1.0 a;\n1.0.0.5-1.0.0.9 b;\n1.0.0.0-1.0.1.0 c;\n} }",
			`range "1.0.0.0-1.0.1.0" overlaps "1.0.0.10-1.0.1.0"` + at + "5"},
		{"split", "events {} stream { split_clients $remote_addr $s { 0.5% a; 99.50% b; } }", ""},
		{"split name", "events {} stream { split_clients $remote_addr s { * a; } }", `invalid variable name "s"` + at + "1"},
		{"split decimals", "events {} stream { split_clients $remote_addr $s {\n50.555% a;\n} }", `invalid percent value "50.555%"` + at + "2"},
		{"split zero", "events {} stream { split_clients $remote_addr $s {\n0% a;\n} }", `invalid percent value "0%"` + at + "2"},
		{"split dot", "events {} stream { split_clients $remote_addr $s {\n.% a;\n} }", `invalid percent value ".%"` + at + "2"},
		{"split sign", "events {} stream { split_clients $remote_addr $s {\n% a;\n} }", `invalid percent value "%"` + at + "2"},
		{"split two dots", "events {} stream { split_clients $remote_addr $s {\n1.2.3% a;\n} }", `invalid percent value "1.2.3%"` + at + "2"},
		{"split total", "events {} stream { split_clients $remote_addr $s {\n60% a;\n50% b;\n} }", `percent total is greater than 100%` + at + "4"},
		{"split after star", "events {} stream { split_clients $remote_addr $s {\n* a;\n1% b;\n} }", `percent total is greater than 100%` + at + "4"},
		{"split wraps", "events {} stream { split_clients $remote_addr $s { 42949673% a; } }", ""},
		{"realip", "events {} stream { set_real_ip_from unix:; set_real_ip_from ::/0; }", ""},
		{"realip invalid", "events {} stream {\nset_real_ip_from 10.0.0.0/33;\n}", `host not found in set_real_ip_from "10.0.0.0/33"` + at + "2"},
		{"realip host", "events {} stream {\nset_real_ip_from localhost;\n}", ""},
		{"realip no host", "events {} stream {\nset_real_ip_from nosuch.invalid;\n}", `host not found in set_real_ip_from "nosuch.invalid"` + at + "2"},
	} {
		_, err := loadText(tt.conf)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestModuleDirectiveValues(t *testing.T) {
	cfg, err := loadText(`events {} stream {
    set_real_ip_from 10.1.2.3/8;
    set_real_ip_from unix:;
    split_clients $remote_addr $s { 0.5% a; 12.3% b; 5.% c; .25% d; 42949673% e; * f; }
    server { listen 1; return x; proxy_pass 127.0.0.1:1; }
    server { listen 2; proxy_pass 127.0.0.1:1; return y; set $a 1; set $b 2; set_real_ip_from ::1; }
}`)
	if err != nil {
		t.Fatal(err)
	}
	st := cfg.Stream
	var got []uint32
	for _, p := range st.SplitClients[0].Parts {
		got = append(got, p.Percent)
	}
	if want := []uint32{50, 1230, 500, 25, 4, 0}; !equal(got, want) {
		t.Errorf("percentages %v, want %v", got, want)
	}
	s0, s1 := st.Servers[0], st.Servers[1]
	if s0.Return != nil || s1.Return == nil || s1.Return.Value != "y" {
		t.Errorf("the last of return and proxy_pass must serve the block: %+v %+v", s0.Return, s1.Return)
	}
	if len(s1.Sets) != 2 || s1.Sets[1].Variable != "b" || s1.Sets[1].Value != "2" {
		t.Errorf("sets: %+v", s1.Sets)
	}
	want0 := []RealIPFrom{{Prefix: netip.MustParsePrefix("10.0.0.0/8")}, {Unix: true}}
	if len(s0.RealIPFrom) != 2 || s0.RealIPFrom[0] != want0[0] || s0.RealIPFrom[1] != want0[1] {
		t.Errorf("inherited set_real_ip_from: %+v", s0.RealIPFrom)
	}
	if len(s1.RealIPFrom) != 1 || s1.RealIPFrom[0].Prefix != netip.MustParsePrefix("::1/128") {
		t.Errorf("a server's own set_real_ip_from replaces the stream's: %+v", s1.RealIPFrom)
	}
	if len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0].Msg, "low address bits of 10.1.2.3/8") {
		t.Errorf("warnings: %v", cfg.Warnings)
	}
}

func equal(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
