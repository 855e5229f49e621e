package config

import (
	"testing"
	"time"
)

// The expectations below were checked against nginx 1.22's `nginx -t`.
func TestParseMsec(t *testing.T) {
	valid := map[string]time.Duration{
		"0": 0, "5": 5 * time.Second, "500ms": 500 * time.Millisecond, "0ms": 0,
		"10s": 10 * time.Second, "1h30m": 90 * time.Minute, "1d": 24 * time.Hour,
		"1w": 7 * 24 * time.Hour, "1w1d": 8 * 24 * time.Hour, "1s500ms": 1500 * time.Millisecond,
		"1m30": 90 * time.Second, "30ms5": 5030 * time.Millisecond,
		// ngx_parse_time skips spaces after a unit, and a space also
		// ends a bare number of seconds.
		"1m 30s": 90 * time.Second, "1m  30s": 90 * time.Second, "30s ": 30 * time.Second,
		"30 ": 30 * time.Second, "1m 30": 90 * time.Second, "30 5": 35 * time.Second,
		"1s 500ms": 1500 * time.Millisecond, "1 1": 2 * time.Second, "m5": 5 * time.Second,
	}
	for in, want := range valid {
		got, err := parseMsec(in)
		if err != nil || got != want {
			t.Errorf("parseMsec(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "30m1h", "1.5s", "1M", "1y", "10S", "1m1m", "1 s", "-1", "s", "99999999999999999999", "1ms1s",
		" 30s", "1 m", "h", "1d 1d", "500ms 1s", "1 1 "} {
		if got, err := parseMsec(in); err == nil {
			t.Errorf("parseMsec(%q) = %v, want an error", in, got)
		}
	}
}

func TestParseSec(t *testing.T) {
	valid := map[string]time.Duration{
		"10": 10 * time.Second, "1M": 30 * 24 * time.Hour, "1y": 365 * 24 * time.Hour, "1h": time.Hour,
		"1h 5m": 65 * time.Minute, "1y 1M": 395 * 24 * time.Hour,
	}
	for in, want := range valid {
		got, err := parseSec(in)
		if err != nil || got != want {
			t.Errorf("parseSec(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := parseSec("1ms"); err == nil {
		t.Error("parseSec(1ms) accepted milliseconds")
	}
}

func TestParseSize(t *testing.T) {
	valid := map[string]int{
		"0": 0, "10": 10, "16k": 16384, "16K": 16384, "1m": 1 << 20, "1M": 1 << 20,
		"2048m": 2048 << 20, "9999999999999": 9999999999999,
	}
	for in, want := range valid {
		got, err := parseSize(in)
		if err != nil || got != want {
			t.Errorf("parseSize(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "k", "1g", "1k1", "-1", "1.5k", " 1", "16 k", "16k ", "1 6k"} {
		if got, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q) = %v, want an error", in, got)
		}
	}
}

func TestParseFlag(t *testing.T) {
	for in, want := range map[string]bool{"on": true, "ON": true, "off": false, "Off": false} {
		if got, ok := parseFlag(in); !ok || got != want {
			t.Errorf("parseFlag(%q) = %v, %v", in, got, ok)
		}
	}
	if _, ok := parseFlag("yes"); ok {
		t.Error("parseFlag accepted yes")
	}
}

func TestLevenshtein(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"proxy_sl", "proxy_ssl", 1}, {"", "abc", 3}, {"abc", "abc", 0},
		{"listne", "listen", 2}, {"kitten", "sitting", 3},
	}
	for _, c := range cases {
		if got := levenshtein(c.a, c.b, 10); got != c.want {
			t.Errorf("levenshtein(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
	if got := levenshtein("kitten", "sitting", 2); got != 2 {
		t.Errorf("limit not applied: %d", got)
	}
}

func TestArgSpecAccepts(t *testing.T) {
	cases := []struct {
		spec ArgSpec
		n    int
		want bool
	}{
		{ArgNone, 0, true}, {ArgNone, 1, false}, {Arg1, 1, true}, {Arg1, 2, false},
		{Arg12, 2, true}, {Arg12, 3, false}, {ArgFlag, 1, true}, {ArgFlag, 2, false},
		{Arg1More, 0, false}, {Arg1More, 9, true}, {Arg2More, 1, false}, {Arg2More, 2, true},
		{Arg7, 7, true}, {Arg7, 8, false}, {ArgAny, 0, true}, {ArgBlock | ArgNone, 0, true},
		{ArgBlock | Arg1, 0, false},
	}
	for _, c := range cases {
		if got := c.spec.accepts(c.n); got != c.want {
			t.Errorf("%b.accepts(%d) = %v, want %v", c.spec, c.n, got, c.want)
		}
	}
}
