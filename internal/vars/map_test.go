package vars

import (
	"strings"
	"testing"

	"github.com/straitproxy/strait/internal/config"
)

// mapOf builds a map from "key value" lines as the configuration loader
// would: ~ and ~* regexes, "default", "hostnames" and "volatile".
func mapOf(source, variable string, lines ...string) *config.Map {
	m := &config.Map{Source: source, Variable: variable}
	for _, l := range lines {
		key, value, _ := strings.Cut(l, " ")
		switch {
		case key == "hostnames":
			m.Hostnames = true
		case key == "volatile":
			m.Volatile = true
		case key == "default":
			m.Default, m.HasDefault = value, true
		case strings.HasPrefix(key, "~*"):
			m.Entries = append(m.Entries, config.MapEntry{Match: key[2:], Regex: true, CaseInsensitive: true, Value: value})
		case strings.HasPrefix(key, "~"):
			m.Entries = append(m.Entries, config.MapEntry{Match: key[1:], Regex: true, Value: value})
		default:
			wild := m.Hostnames && (strings.HasPrefix(key, ".") || strings.HasPrefix(key, "*.") || strings.HasSuffix(key, ".*"))
			m.Entries = append(m.Entries, config.MapEntry{Match: strings.ToLower(key), Wildcard: wild, Value: value})
		}
	}
	return m
}

func TestMapLookups(t *testing.T) {
	hosts := mapOf("$hostname", "host", "hostnames", "default none",
		"example.com exact", "*.example.com star", ".example.org dot", "*.a.example.com deeper",
		"www.example.* tail", "www.* shorter-tail", "~^mail\\. regex")
	tests := []struct {
		m     *config.Map
		input string
		want  string
	}{
		{mapOf("$hostname", "x", "foo 1", "default 0"), "FOO", "1"}, // exact keys ignore case
		{mapOf("$hostname", "x", "foo 1"), "bar", ""},               // no default: empty
		{hosts, "example.com", "exact"},
		{hosts, "example.com.", "exact"}, // hostnames drops a trailing dot
		{hosts, "b.example.com", "star"},
		{hosts, "c.b.example.com", "star"},
		{hosts, "x.a.example.com", "deeper"},
		{hosts, "a.example.com", "star"}, // "*.a.example.com" needs one more label
		{hosts, "example.org", "dot"},
		{hosts, "x.y.example.org", "dot"},
		{hosts, "www.example.co.uk", "tail"},
		{hosts, "www.example", "shorter-tail"},
		{hosts, "WWW.Example.NET", "tail"},
		{hosts, "mail.example.net", "regex"},
		{hosts, "mail.example.com", "star"}, // wildcards before regexes
		{hosts, "other.net", "none"},
		{mapOf("$hostname", "x", "~^a 1", "~^a 2", "~*^B 3"), "abc", "1"}, // first regex wins
		{mapOf("$hostname", "x", "~^a 1", "~*^B 3"), "bcd", "3"},
		{mapOf("$hostname", "x", "~^(\\w+)\\.(\\w+)$ $2.$1", "default d"), "left.right", "right.left"},
		{mapOf("$hostname", "x", "~^(?P<first>\\w+)\\. <$first>", "default d"), "one.two", "<one>"},
		{mapOf("$hostname", "x", "~ any", "default d"), "", "d"}, // regexes never see an empty subject
		{mapOf("$hostname", "x", "default [$hostname]"), "h", "[h]"},
	}
	for _, tt := range tests {
		reg := build(t, tt.m)
		s := session()
		s.Hostname = tt.input
		if got := eval(t, reg, "$"+tt.m.Variable, s); got != tt.want {
			t.Errorf("map %v %q: got %q, want %q", tt.m.Entries, tt.input, got, tt.want)
		}
	}
}

func TestMapEmptyKey(t *testing.T) {
	m := mapOf("$hostname", "x", "default other")
	m.Entries = append(m.Entries, config.MapEntry{Match: "", Value: "empty"})
	s := session()
	s.Hostname = ""
	if got := eval(t, build(t, m), "$x", s); got != "empty" {
		t.Errorf("got %q", got)
	}
}

func TestMapChainsInAnyOrder(t *testing.T) {
	// $kind is defined after the map that reads it, as nginx allows.
	reg := build(t,
		mapOf("$kind", "label", "internal in-$server_port", "default out"),
		mapOf("$remote_addr", "kind", "~^10\\. internal", "default external"),
	)
	if got := eval(t, reg, "$label", session()); got != "in-12345" {
		t.Errorf("got %q", got)
	}
}

func TestNamedCapturesAreVariables(t *testing.T) {
	reg := build(t, mapOf("$remote_addr", "net", "~^(?P<octet>\\d+)\\. $octet", "default none"))
	s := session()
	// Before the map runs, the capture is not found; the map's match sets it.
	if got := eval(t, reg, "[$octet] $net [$octet]", s); got != "[] 10 [10]" {
		t.Errorf("got %q", got)
	}
}

func TestMapCachesPerSessionUnlessVolatile(t *testing.T) {
	reg := build(t,
		mapOf("$upstream_addr", "cached", "default <$upstream_addr>"),
		mapOf("$upstream_addr", "live", "volatile", "default <$upstream_addr>"),
	)
	s := session()
	attempts := s.Attempts
	s.Attempts = nil
	// Read early, as a limit_conn key is, before any upstream attempt.
	if got := eval(t, reg, "$cached $live", s); got != "<> <>" {
		t.Errorf("before connecting: %q", got)
	}
	s.Attempts = attempts[:1]
	if got := eval(t, reg, "$cached $live", s); got != "<> <10.0.0.1:9000>" {
		t.Errorf("after an attempt: %q", got)
	}
	// A new session evaluates afresh.
	if got := eval(t, reg, "$cached", session()); got != "<10.0.0.1:9000, 10.0.0.2:9000>" {
		t.Errorf("new session: %q", got)
	}
}

func TestMapCycleIsNotFound(t *testing.T) {
	reg := build(t, mapOf("$b", "a", "default a[$b]"), mapOf("$a", "b", "default b[$a]"))
	if got := eval(t, reg, "$a", session()); got != "a[b[]]" {
		t.Errorf("got %q", got)
	}
}

func TestMapDefinitionErrors(t *testing.T) {
	for _, tt := range []struct {
		m    *config.Map
		want string
	}{
		{mapOf("$remote_addr", "remote_addr"), `the duplicate "remote_addr" variable`},
		{mapOf("$nope", "x"), `unknown "nope" variable`},
		{mapOf("$remote_addr", "x", "default $nope"), `unknown "nope" variable`},
		{mapOf("$remote_addr", "x", "a $nope"), `unknown "nope" variable`},
		{mapOf("$remote_addr", "x", "~(?P<status>.) 1"), `the duplicate "status" variable`},
		{mapOf("$remote_addr", "x", "default $"), `invalid variable name`},
	} {
		_, err := Build([]*config.Map{tt.m}, Options{})
		if err == nil || !strings.HasPrefix(err.Error(), tt.want+" in ") {
			t.Errorf("%+v: got %v, want %q in FILE:LINE", tt.m, err, tt.want)
		}
	}
}

func TestTheLastMapOfANameWins(t *testing.T) {
	reg := build(t, mapOf("$remote_addr", "x", "default first"), mapOf("$remote_addr", "x", "default second"))
	if got := eval(t, reg, "$x", session()); got != "second" {
		t.Errorf("got %q", got)
	}
}

func TestMapAllocations(t *testing.T) {
	reg := build(t,
		mapOf("$remote_addr", "plain", "10.1.2.3 hit", "default miss"),
		mapOf("$upstream_addr", "volatile_plain", "volatile", "~:9000 port", "default other"),
	)
	e, err := reg.Compile("$plain $volatile_plain")
	if err != nil {
		t.Fatal(err)
	}
	s := session()
	buf := make([]byte, 0, 256)
	buf = e.Append(buf, s) // first use sizes the session's cache
	if string(buf) != "hit port" {
		t.Fatalf("got %q", buf)
	}
	if n := testing.AllocsPerRun(100, func() { buf = e.Append(buf[:0], s) }); n != 0 {
		t.Errorf("%.1f allocations per evaluation of a cached map and a volatile regex map", n)
	}
}

// BenchmarkFreshSessionWithMaps is one access-log record's worth of
// variables for a new session: built-ins plus a map chain, so the cost
// includes sizing the session's cache.
func BenchmarkFreshSessionWithMaps(b *testing.B) {
	reg := build(b,
		mapOf("$remote_addr", "kind", "~^10\\. internal", "default external"),
		mapOf("$kind", "label", "internal in", "default out"),
	)
	e, err := reg.Compile(`$remote_addr $status $upstream_addr $label $kind`)
	if err != nil {
		b.Fatal(err)
	}
	proto := session()
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		s := *proto
		buf = e.Append(buf[:0], &s)
	}
}
