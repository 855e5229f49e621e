package config

import (
	"strings"
	"testing"
)

func TestStatusListen(t *testing.T) {
	const at = " in /etc/strait/strait.conf:"
	cases := []struct {
		name, conf string
		want       string // Main.StatusListen
		warn       string // expected warning, "" for none
		err        string
	}{
		{name: "unset", conf: "", want: ""},
		{name: "loopback", conf: "status_listen 127.0.0.1:9145;", want: "127.0.0.1:9145"},
		{name: "ipv6 loopback", conf: "status_listen [::1]:9145;", want: "[::1]:9145"},
		{name: "host name", conf: "status_listen localhost:9145;", want: "127.0.0.1:9145"},
		{name: "off", conf: "status_listen off;", want: ""},
		{name: "any address", conf: "status_listen *:9145;", want: "0.0.0.0:9145",
			warn: "the status endpoint on 0.0.0.0:9145 is not on a loopback address and has no authentication" + at + "1"},
		{name: "public address", conf: "status_listen 192.0.2.7:9145;", want: "192.0.2.7:9145",
			warn: "the status endpoint on 192.0.2.7:9145 is not on a loopback address and has no authentication" + at + "1"},
		{name: "no argument", conf: "status_listen;", err: `invalid number of arguments in "status_listen" directive` + at + "1"},
		{name: "two arguments", conf: "status_listen 127.0.0.1:1 127.0.0.1:2;", err: `invalid number of arguments in "status_listen" directive` + at + "1"},
		{name: "duplicate", conf: "status_listen 127.0.0.1:1;\nstatus_listen 127.0.0.1:2;", err: `"status_listen" directive is duplicate` + at + "2"},
		{name: "bare port", conf: "status_listen 9145;", err: `no port in "9145" of the "status_listen" directive` + at + "1"},
		{name: "no host", conf: "status_listen :9145;", err: `no address in ":9145" of the "status_listen" directive` + at + "1"},
		{name: "bad port", conf: "status_listen 127.0.0.1:99999;", err: `invalid port in "127.0.0.1:99999" of the "status_listen" directive` + at + "1"},
		// Port 0: the system picks one, and the error log names it.
		{name: "port zero", conf: "status_listen 127.0.0.1:0;", want: "127.0.0.1:0"},
		{name: "unknown host", conf: "status_listen nosuch.invalid:9145;", err: `host not found in "nosuch.invalid:9145" of the "status_listen" directive` + at + "1"},
		{name: "in stream", conf: "events {} stream { status_listen 127.0.0.1:1; }", err: `"status_listen" directive is not allowed here` + at + "1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := loadText(tc.conf + "\nevents {}")
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Main.StatusListen != tc.want {
				t.Errorf("StatusListen %q, want %q", cfg.Main.StatusListen, tc.want)
			}
			var warns []string
			for _, w := range cfg.Warnings {
				warns = append(warns, w.String())
			}
			if got := strings.Join(warns, "\n"); got != tc.warn {
				t.Errorf("warnings %q, want %q", got, tc.warn)
			}
		})
	}
}
