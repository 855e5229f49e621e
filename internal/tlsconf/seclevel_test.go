package tlsconf

import (
	"crypto/tls"
	"slices"
	"strings"
	"testing"
)

func TestRSASecurityBits(t *testing.T) {
	// OpenSSL 3.0's estimates for the usual modulus sizes.
	for n, want := range map[int]int{512: 56, 1024: 80, 2048: 112, 3072: 128, 4096: 152} {
		if got := rsaSecurityBits(n); got != want {
			t.Errorf("RSA %d: %d bits, want %d", n, got, want)
		}
	}
}

func TestSecurityLevelRestrictsGroups(t *testing.T) {
	for _, tc := range []struct {
		ciphers string
		groups  string // proxy_ssl_conf_command Groups, "" for none
		want    []tls.CurveID
		err     string
	}{
		{ciphers: "", want: nil},
		{ciphers: "DEFAULT:@SECLEVEL=3", want: nil},
		{ciphers: "DEFAULT:@SECLEVEL=4", want: []tls.CurveID{tls.SecP384r1MLKEM1024, tls.CurveP384, tls.CurveP521}},
		{ciphers: "DEFAULT:@SECLEVEL=5", want: []tls.CurveID{tls.CurveP521}},
		{ciphers: "DEFAULT:@SECLEVEL=4", groups: "X25519:P-384", want: []tls.CurveID{tls.CurveP384}},
		{ciphers: "DEFAULT:@SECLEVEL=4", groups: "X25519:P-256", err: "no key exchange group meets security level 4"},
	} {
		cfg := &tls.Config{}
		if tc.groups != "" {
			if err := applyConfCommands(cfg, [][2]string{{"Groups", tc.groups}}); err != nil {
				t.Fatal(err)
			}
		}
		err := restrictGroups(cfg, securityLevel(tc.ciphers))
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q %q: error %v, want %q", tc.ciphers, tc.groups, err, tc.err)
			}
		case err != nil:
			t.Errorf("%q %q: %v", tc.ciphers, tc.groups, err)
		case tc.groups == "" && tc.want == nil && cfg.CurvePreferences != nil:
			t.Errorf("%q: groups %v, want Go's defaults", tc.ciphers, cfg.CurvePreferences)
		case tc.want != nil && !slices.Equal(cfg.CurvePreferences, tc.want):
			t.Errorf("%q %q: groups %v, want %v", tc.ciphers, tc.groups, cfg.CurvePreferences, tc.want)
		}
	}
}
