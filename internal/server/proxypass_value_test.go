package server

import "testing"

func TestParsePassValueFollowsNginx(t *testing.T) {
	for _, tc := range []struct {
		in, addr string
		status   int
		msg      string
	}{
		{"127.0.0.1:9000", "127.0.0.1:9000", 0, ""},
		{"[::1]:9000", "[::1]:9000", 0, ""},
		{"unix:/run/app.sock", "unix:/run/app.sock", 0, ""},
		{"", "", 500, `no host in upstream ""`},
		{"127.0.0.1:http", "", 500, `invalid port in upstream "127.0.0.1:http"`},
		{"127.0.0.1", "", 502, `no port in upstream "127.0.0.1"`},
		{"backend", "", 502, `no port in upstream "backend"`},
		{"db.internal:5432", "db.internal:5432", statusResolve, ""},
	} {
		addr, _, status, msg := parsePassValue(tc.in)
		if addr != tc.addr || status != tc.status || msg != tc.msg {
			t.Errorf("%q: got %q %d %q, want %q %d %q", tc.in, addr, status, msg, tc.addr, tc.status, tc.msg)
		}
	}
}
