package config

import (
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
)

func TestPins(t *testing.T) {
	a := sha256.Sum256([]byte("key a"))
	b := sha256.Sum256([]byte("key b"))
	pinA, pinB := base64.StdEncoding.EncodeToString(a[:]), base64.StdEncoding.EncodeToString(b[:])
	short := base64.StdEncoding.EncodeToString(a[:31])
	const at = " in /etc/strait/strait.conf:"
	verified := "proxy_ssl on;\nproxy_ssl_verify on;\nproxy_ssl_trusted_certificate ca.pem;\n"
	cases := []struct {
		name, lines, want string
		pins              int
	}{
		{"one", verified + "proxy_ssl_pin_sha256 " + pinA + ";", "", 1},
		{"several lines add up", verified + "proxy_ssl_pin_sha256 " + pinA + ";\nproxy_ssl_pin_sha256 " + pinB + ";", "", 2},
		{"several per line", verified + "proxy_ssl_pin_sha256 " + pinA + " " + pinB + ";", "", 2},
		{"not base64", verified + "proxy_ssl_pin_sha256 not*base64;",
			`invalid value "not*base64" in "proxy_ssl_pin_sha256" directive, it must be a base64 SHA-256 digest` + at + "8", 0},
		{"wrong length", verified + "proxy_ssl_pin_sha256 " + short + ";",
			`invalid value "` + short + `" in "proxy_ssl_pin_sha256" directive, it must be a base64 SHA-256 digest` + at + "8", 0},
		{"unpadded", verified + "proxy_ssl_pin_sha256 " + strings.TrimRight(pinA, "=") + ";",
			`invalid value "` + strings.TrimRight(pinA, "=") + `" in "proxy_ssl_pin_sha256" directive, it must be a base64 SHA-256 digest` + at + "8", 0},
		{"verify off", "proxy_ssl on;\nproxy_ssl_pin_sha256 " + pinA + ";",
			`"proxy_ssl_pin_sha256" requires "proxy_ssl_verify on"` + at + "6", 0},
		{"ignored without proxy_ssl", "proxy_ssl_pin_sha256 " + pinA + ";", "", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := loadFiles(map[string]string{mainFile: stream(tc.lines), "/etc/strait/ca.pem": ""}, LoadOptions{})
			if tc.want != "" {
				if err == nil || err.Error() != tc.want {
					t.Fatalf("got %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.Stream.Servers[0].SSL.Pins; len(got) != tc.pins || got[0] != a {
				t.Errorf("pins %x, want %d starting with %x", got, tc.pins, a)
			}
		})
	}
}

func TestPinsInherited(t *testing.T) {
	a := sha256.Sum256([]byte("key a"))
	pin := base64.StdEncoding.EncodeToString(a[:])
	_, err := loadFiles(map[string]string{mainFile: `events {} stream {
  proxy_ssl_pin_sha256 ` + pin + `;
  server {
    listen 1; proxy_pass 127.0.0.1:1;
    proxy_ssl on; proxy_ssl_verify on; proxy_ssl_trusted_certificate ca.pem;
  }
  server { listen 2; proxy_pass 127.0.0.1:1; proxy_ssl on; }
}`, "/etc/strait/ca.pem": ""}, LoadOptions{})
	if err == nil || err.Error() != `"proxy_ssl_pin_sha256" requires "proxy_ssl_verify on" in /etc/strait/strait.conf:2` {
		t.Fatalf("got %v, want the inherited pin refused at its own line", err)
	}
}
