package clienthello

import (
	"crypto/tls"
	"net"
	"testing"
)

// hello returns the first flight crypto/tls sends as a client with cfg.
func hello(t testing.TB, cfg *tls.Config) []byte {
	t.Helper()
	c, s := net.Pipe()
	defer s.Close()
	go func() {
		tls.Client(c, cfg).Handshake()
		c.Close()
	}()
	var out []byte
	buf := make([]byte, 4096)
	for {
		n, err := s.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			t.Fatalf("read hello: %v", err)
		}
		if len(out) >= 5 && len(out) >= 5+(int(out[3])<<8|int(out[4])) {
			return out[:5+(int(out[3])<<8|int(out[4]))]
		}
	}
}

// reframe splits the handshake of one record into records of at most
// size bytes each.
func reframe(rec []byte, size int) []byte {
	body := rec[5:]
	var out []byte
	for len(body) > 0 {
		n := min(size, len(body))
		out = append(out, 0x16, 3, 1, byte(n>>8), byte(n))
		out = append(out, body[:n]...)
		body = body[n:]
	}
	return out
}

func TestParseGoClient(t *testing.T) {
	cases := []struct {
		name string
		cfg  *tls.Config
		want Info
	}{
		{"tls13", &tls.Config{ServerName: "a.example.com", NextProtos: []string{"h2", "http/1.1"}},
			Info{ServerName: "a.example.com", ALPN: "h2,http/1.1", Version: 0x0304}},
		// crypto/tls sends supported_versions even when it offers
		// only TLS 1.2, and nginx then says TLSv1.3 without looking
		// inside: so does strait.
		{"tls12 only", &tls.Config{ServerName: "B.Example.com", MaxVersion: tls.VersionTLS12},
			Info{ServerName: "B.Example.com", Version: 0x0304}},
		{"no sni", &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"x"}},
			Info{ALPN: "x", Version: 0x0304}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := hello(t, tc.cfg)
			for _, size := range []int{1 << 14, 1, 7, 100} {
				data := reframe(rec, size)
				got, st := Parse(data)
				if st != Done || got != tc.want {
					t.Fatalf("records of %d: got %+v %v, want %+v", size, got, st, tc.want)
				}
				// Every shorter prefix asks for more: a hello cut by TCP
				// segments is never mistaken for junk.
				for i := 0; i < len(data); i += 1 + len(data)/500 {
					if _, st := Parse(data[:i]); st == NotTLS {
						t.Fatalf("records of %d: prefix %d judged not TLS", size, i)
					}
				}
			}
			if got := tc.want.Protocol(); got == "" {
				t.Fatalf("no protocol name for %#x", tc.want.Version)
			}
		})
	}
}

func TestParseRefusals(t *testing.T) {
	rec := hello(t, &tls.Config{ServerName: "x.test"})
	for _, tc := range []struct {
		name string
		data []byte
		want Status
	}{
		{"http", []byte("GET / HTTP/1.1\r\n\r\n"), NotTLS},
		{"alert record", []byte{0x15, 3, 1, 0, 2, 2, 40}, NotTLS},
		{"tls major 4", []byte{0x16, 4, 1, 0, 0}, NotTLS},
		{"server hello", []byte{0x16, 3, 1, 0, 4, 2, 0, 0, 0}, NotTLS},
		{"sslv2 hello", []byte{0x80, 0x2e, 1, 3, 1, 0, 0}, Done},
		{"short", rec[:4], NeedMore},
		{"no supported_versions", noSupportedVersions(t, rec), Done},
		{"empty", nil, NeedMore},
	} {
		_, st := Parse(tc.data)
		if st != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, st, tc.want)
		}
	}
	if info, _ := Parse([]byte{0x80, 0x2e, 1, 3, 1}); info.Protocol() != "TLSv1" {
		t.Errorf("sslv2-framed TLSv1 hello: protocol %q", info.Protocol())
	}
}

// FuzzParse checks that no input makes the parser panic or read past its
// buffer, and that a well-formed hello gives the same answer however it
// is cut into records.
func FuzzParse(f *testing.F) {
	f.Add(hello(f, &tls.Config{ServerName: "seed.example", NextProtos: []string{"h2"}}), uint8(0))
	f.Add(hello(f, &tls.Config{ServerName: "old", MaxVersion: tls.VersionTLS12}), uint8(3))
	f.Add([]byte{0x16, 3, 1, 0, 4, 1, 0, 0, 0}, uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, split uint8) {
		info, st := Parse(data)
		if st == Done && len(data) >= 5 && data[0] == 0x16 && split > 0 {
			n := int(data[3])<<8 | int(data[4])
			if len(data) == 5+n {
				info2, st2 := Parse(reframe(data, int(split)))
				if st2 != Done || info2 != info {
					t.Fatalf("reframed by %d: %+v %v, whole: %+v", split, info2, st2, info)
				}
			}
		}
	})
}

// noSupportedVersions rewrites the supported_versions extension of a
// one-record hello into an unknown one, as a TLS 1.2 client sends no
// such extension.
func noSupportedVersions(t *testing.T, rec []byte) []byte {
	out := append([]byte(nil), rec...)
	for i := 5 + 4 + 2 + 32; i+1 < len(out); i++ {
		if out[i] == 0 && out[i+1] == 43 && i+3 < len(out) && int(out[i+2])<<8|int(out[i+3]) == int(out[i+4])+1 {
			out[i+1] = 0xfe
			info, st := Parse(out)
			if st != Done || info.Version != 0x0303 || info.Protocol() != "TLSv1.2" {
				t.Fatalf("without supported_versions: %+v %v", info, st)
			}
			return out
		}
	}
	t.Fatal("no supported_versions extension found")
	return nil
}
