package vars

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/config"
)

// loadStream loads a stream {} block body as the configuration loader
// would and builds its registry.
func loadStream(t *testing.T, body string) (*config.Stream, *Registry, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "nginx.conf")
	if err := os.WriteFile(path, []byte("events {} stream {\n"+body+"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(config.LoadOptions{File: path})
	if err != nil {
		t.Fatal(err)
	}
	reg, err := BuildStream(cfg.Stream, Options{Now: func() time.Time { return end }})
	return cfg.Stream, reg, err
}

func mustStream(t *testing.T, body string) (*config.Stream, *Registry) {
	t.Helper()
	st, reg, err := loadStream(t, body)
	if err != nil {
		t.Fatal(err)
	}
	return st, reg
}

// TestMurmurHash2 compares with nginx's ngx_murmur_hash2 compiled from
// its C source.
func TestMurmurHash2(t *testing.T) {
	for _, tt := range []struct {
		key  string
		want uint32
	}{
		{"", 0x00000000}, {"a", 0x92685f5e}, {"ab", 0x1aa14063}, {"abc", 0x13577c9b},
		{"abcd", 0x26873021}, {"abcde", 0x5f09a8de}, {"127.0.0.1", 0xb6131d91},
		{"\xff\xfe\x80\x01x", 0xde19aca2}, {"hello, world", 0x4b4c9d80},
	} {
		if got := murmurHash2([]byte(tt.key)); got != tt.want {
			t.Errorf("murmurHash2(%q) = %#08x, want %#08x", tt.key, got, tt.want)
		}
	}
}

func TestSplitClients(t *testing.T) {
	_, reg := mustStream(t, `
		split_clients "${remote_addr}AAA" $variant { 0.5% .one; 2.0% .two; * ""; }
		split_clients $remote_port $half { 50% a; 50% b; }
		split_clients $remote_port $some { 10% a; }`)
	// nginx's bounds: each part's share of 0xffffffff, rounded down,
	// then added up.
	want := []uint32{21474836, 21474836 + 85899345, 0}
	got := newSplitVar(&config.SplitClients{Parts: []config.SplitPart{{Percent: 50, Value: ".one"}, {Percent: 200, Value: ".two"}, {Value: ""}}})
	if !slices.Equal(got.bounds, want) {
		t.Errorf("bounds %v, want %v", got.bounds, want)
	}
	counts := map[string]int{}
	for port := range 2000 {
		s := &Session{RemoteAddr: tcp("10.0.0.1", port)}
		counts[eval(t, reg, "$half", s)]++
		key := murmurHash2([]byte(tcp("10.0.0.1", port).IP.String() + "AAA"))
		want := ""
		switch {
		case key < 21474836:
			want = ".one"
		case key < 107374181:
			want = ".two"
		}
		if v := eval(t, reg, "$variant", s); v != want {
			t.Fatalf("port %d: $variant %q, want %q", port, v, want)
		}
		if v := eval(t, reg, "$some", s); v != "a" && v != "" {
			t.Fatalf("$some %q", v)
		}
	}
	if counts["a"] < 800 || counts["b"] < 800 || counts["a"]+counts["b"] != 2000 {
		t.Errorf("50%%/50%% split gave %v", counts)
	}
}

func TestGeo(t *testing.T) {
	_, reg := mustStream(t, `
		geo $net {
			default        def;
			10.0.0.0/8     ten;
			10.1.0.0/16    ten-one;
			10.1.2.3       host;
			10.2.0.0/16    gone;
			delete         10.2.0.0/16;
			255.255.255.255 broadcast;
			2001:db8::/32  doc;
			2001:db8:1::/48 doc-one;
		}
		geo $proxy_protocol_addr $pp { 192.168.0.0/16 lan; }
		geo $rng {
			ranges;
			default                 none;
			10.0.0.0-10.0.255.255   a;
			10.0.1.0-10.0.1.255     b;
			10.0.0.255-10.0.0.255   c;
			255.255.255.0-255.255.255.254 top;
		}`)
	unix := &net.UnixAddr{Name: "@", Net: "unix"}
	for _, tt := range []struct {
		remote net.Addr
		pp     string
		want   string // $net|$pp|$rng
	}{
		{tcp("10.1.2.3", 1), "", "host||none"},
		{tcp("10.1.2.4", 1), "192.168.1.1", "ten-one|lan|none"},
		{tcp("10.2.0.1", 1), "x", "ten||none"},
		{tcp("10.0.1.7", 1), "", "ten||b"},
		{tcp("10.0.0.255", 1), "", "ten||c"},
		{tcp("11.0.0.1", 1), "", "def||none"},
		{tcp("2001:db8:1::5", 1), "", "doc-one||none"},
		{tcp("2001:db9::5", 1), "", "def||none"},
		{tcp("::ffff:10.0.0.1", 1), "", "ten||a"},
		{unix, "", "broadcast||none"},
	} {
		s := &Session{RemoteAddr: tt.remote, ProxyProtocolAddr: tt.pp}
		if got := eval(t, reg, "$net|$pp|$rng", s); got != tt.want {
			t.Errorf("%v (pp %q): %q, want %q", tt.remote, tt.pp, got, tt.want)
		}
	}
}

func TestSetVariables(t *testing.T) {
	st, reg := mustStream(t, `
		map $remote_addr $m { default from-map; }
		server { listen 1.2.3.4:5; set $x "<$remote_addr>"; set $m "set-$x"; return $x; }
		server { listen 1.2.3.4:6; return $x$m; }`)
	s := &Session{RemoteAddr: tcp("10.0.0.1", 2)}
	if got := eval(t, reg, "[$x][$m]", s); got != "[][from-map]" {
		t.Errorf("before set: %q", got)
	}
	s = &Session{RemoteAddr: tcp("10.0.0.1", 2)}
	for _, sv := range st.Servers[0].Sets {
		v, err := reg.Lookup(sv.Variable)
		if err != nil {
			t.Fatal(err)
		}
		v.Set(s, eval(t, reg, sv.Value, s))
	}
	if got := eval(t, reg, "[$x][$m]", s); got != "[<10.0.0.1>][set-<10.0.0.1>]" {
		t.Errorf("after set: %q", got)
	}
	for body, want := range map[string]string{
		`server { listen 1.2.3.4:5; set $remote_addr x; return x; }`:        `the duplicate "remote_addr" variable`,
		`geo $nope $g { default x; }`:                                       `unknown "nope" variable`,
		`split_clients $nope $g { * x; }`:                                   `unknown "nope" variable`,
		`server { listen 1.2.3.4:5; set $upstream_addr x; return x; }`:      `the duplicate "upstream_addr" variable`,
		`server { listen 1.2.3.4:5; set $realip_remote_addr x; return x; }`: `the duplicate "realip_remote_addr" variable`,
	} {
		_, _, err := loadStream(t, body)
		if err == nil || !strings.HasPrefix(err.Error(), want+" in ") {
			t.Errorf("%s: %v, want %s in FILE:LINE", body, err, want)
		}
	}
}

func TestRealIPVariables(t *testing.T) {
	reg := build(t)
	s := &Session{RemoteAddr: tcp("192.0.2.1", 4000)}
	if got := eval(t, reg, "$realip_remote_addr:$realip_remote_port", s); got != "192.0.2.1:4000" {
		t.Errorf("without realip: %q", got)
	}
	s.RealIPRemoteAddr = &net.UnixAddr{Name: "@", Net: "unix"}
	if got := eval(t, reg, "$remote_addr|$realip_remote_addr:$realip_remote_port", s); got != "192.0.2.1|unix::" {
		t.Errorf("after realip from a unix client: %q", got)
	}
}
