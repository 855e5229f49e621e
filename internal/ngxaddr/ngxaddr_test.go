package ngxaddr

import (
	"net/netip"
	"testing"
)

func TestParseAddr(t *testing.T) {
	for _, tt := range []struct {
		in, want string // want "" means refused
	}{
		{"1.2.3.4", "1.2.3.4"},
		{"01.002.3.4", "1.2.3.4"},
		{"1..2.3", "1.0.2.3"},
		{"1.2.3.", "1.2.3.0"},
		{".1.2.3", "0.1.2.3"},
		{"0.0.0.0", "0.0.0.0"},
		{"255.255.255.255", ""}, // INADDR_NONE, and no IPv6 either
		{"256.1.1.1", ""},
		{"1.2.3", ""},
		{"1.2.3.4.5", ""},
		{"1.2.3.4 ", ""},
		{"", ""},
		{"::", "::"},
		{"::1", "::1"},
		{":1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
		{"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
		{"1:2:3:4:5:6:7:8:", ""},
		{"1:2:3:4:5:6:7", ""},
		{"1::2::3", ""},
		{":::", ""},
		{"12345::", ""},
		{"ABCD::EF", "abcd::ef"},
		{"::ffff:1.2.3.4", "::ffff:1.2.3.4"},
		{"1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"},
		{"1:2:3:4:5:6:7:1.2.3.4", ""},
		{"::1.2.3", ""},
		{"fe80::1%eth0", ""},
		{"2001:db8::", "2001:db8::"},
	} {
		a, ok := ParseAddr(tt.in)
		if got := map[bool]string{true: a.String()}[ok]; got != tt.want {
			t.Errorf("ParseAddr(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseCIDR(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		low      bool
	}{
		{"10.0.0.0/8", "10.0.0.0/8", false},
		{"10.1.0.0/8", "10.0.0.0/8", true},
		{"1.2.3.4", "1.2.3.4/32", false},
		{"0.0.0.0/0", "0.0.0.0/0", false},
		{"1.2.3.4/0", "0.0.0.0/0", true},
		{"1.2.3.4/33", "", false},
		{"1.2.3.4/", "", false},
		{"1.2.3.4/+1", "", false},
		{"255.255.255.255/32", "", false},
		{"2001:db8::/32", "2001:db8::/32", false},
		{"2001:db8::1/32", "2001:db8::/32", true},
		{"::1", "::1/128", false},
		{"::/129", "", false},
		{"x", "", false},
	} {
		p, low, err := ParseCIDR(tt.in)
		got := ""
		if err == nil {
			got = p.String()
		}
		if got != tt.want || low != tt.low {
			t.Errorf("ParseCIDR(%q) = %q, %v, want %q, %v", tt.in, got, low, tt.want, tt.low)
		}
	}
}

// TestAppendIP checks ngx_inet6_ntop's forms, including where they
// differ from Go's.
func TestAppendIP(t *testing.T) {
	for in, want := range map[string]string{
		"1.2.3.4":          "1.2.3.4",
		"::":               "::",
		"::1":              "::1",
		"::2":              "::2",
		"::102":            "::0.0.1.2",
		"::102:0":          "::1.2.0.0",
		"::ffff:1.2.3.4":   "::ffff:1.2.3.4",
		"::1.2.3.4":        "::1.2.3.4",
		"2001:db8::1":      "2001:db8::1",
		"1:0:0:2:0:0:0:3":  "1:0:0:2::3",
		"1:0:0:2:0:0:3:4":  "1::2:0:0:3:4",
		"1:0:2:3:4:5:6:7":  "1:0:2:3:4:5:6:7",
		"fe80::":           "fe80::",
		"0:0:1::":          "0:0:1::",
		"abcd:ef01::ff:ee": "abcd:ef01::ff:ee",
	} {
		if got := string(AppendIP(nil, netip.MustParseAddr(in))); got != want {
			t.Errorf("AppendIP(%s) = %q, want %q", in, got, want)
		}
	}
}
