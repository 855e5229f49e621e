package tlsconf

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/testpki"
)

// TestClientHello checks what strait's ClientHello carries: SNI only when
// asked for and never for an IP literal, the configured ALPN, groups and
// versions, and nothing else that would surprise an upstream.
func TestClientHello(t *testing.T) {
	leaf := testpki.SelfSigned(t, testpki.Spec{DNSNames: []string{"backend"}})
	srvCfg := serverConfig(leaf)
	srvCfg.MinVersion = tls.VersionTLS10
	srvCfg.NextProtos = []string{"h2", "redis"}
	srv := startServer(t, srvCfg)
	tests := []struct {
		name       string
		edit       func(*config.ProxySSL)
		defName    string
		wantSNI    string
		wantALPN   []string
		wantGroups []tls.CurveID
		wantVers   []uint16
		wantProto  string
	}{
		{name: "SNI off by default", defName: "backend", wantProto: "TLSv1.3",
			wantVers: []uint16{tls.VersionTLS13, tls.VersionTLS12}},
		{name: "SNI on", defName: "backend", edit: func(s *config.ProxySSL) { s.ServerName = true },
			wantSNI: "backend", wantProto: "TLSv1.3", wantVers: []uint16{tls.VersionTLS13, tls.VersionTLS12}},
		{name: "proxy_ssl_name wins", defName: "backend", edit: func(s *config.ProxySSL) { s.ServerName, s.Name = true, "db.internal" },
			wantSNI: "db.internal", wantProto: "TLSv1.3", wantVers: []uint16{tls.VersionTLS13, tls.VersionTLS12}},
		{name: "no SNI for IP literal", defName: "127.0.0.1", edit: func(s *config.ProxySSL) { s.ServerName = true },
			wantProto: "TLSv1.3", wantVers: []uint16{tls.VersionTLS13, tls.VersionTLS12}},
		{name: "no SNI for IPv6 literal", defName: "[::1]", edit: func(s *config.ProxySSL) { s.ServerName = true },
			wantProto: "TLSv1.3", wantVers: []uint16{tls.VersionTLS13, tls.VersionTLS12}},
		{name: "ALPN", defName: "backend", edit: func(s *config.ProxySSL) { s.ALPN = []string{"redis"} },
			wantALPN: []string{"redis"}, wantProto: "TLSv1.3", wantVers: []uint16{tls.VersionTLS13, tls.VersionTLS12}},
		{name: "groups", defName: "backend", edit: func(s *config.ProxySSL) {
			s.ConfCommands = [][2]string{{"Groups", "P-384:prime256v1"}}
		}, wantGroups: []tls.CurveID{tls.CurveP384, tls.CurveP256}, wantProto: "TLSv1.3", wantVers: []uint16{tls.VersionTLS13, tls.VersionTLS12}},
		{name: "TLSv1 with a hole", defName: "backend", edit: func(s *config.ProxySSL) { s.Protocols = []string{"TLSv1", "TLSv1.2"} },
			wantProto: "TLSv1.2", wantVers: []uint16{tls.VersionTLS12, tls.VersionTLS11, tls.VersionTLS10}},
		{name: "TLSv1 only", defName: "backend", edit: func(s *config.ProxySSL) { s.Protocols = []string{"TLSv1"} },
			wantProto: "TLSv1", wantVers: []uint16{tls.VersionTLS10}},
		{name: "MaxProtocol command", defName: "backend", edit: func(s *config.ProxySSL) {
			s.ConfCommands = [][2]string{{"maxprotocol", "TLSv1.2"}}
		}, wantProto: "TLSv1.2", wantVers: []uint16{tls.VersionTLS12}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := config.ProxySSL{Enabled: true, SessionReuse: true, Ciphers: "DEFAULT"}
			if tt.edit != nil {
				tt.edit(&s)
			}
			info, err := connect(t, newClient(t, s, tt.defName), srv.addr)
			if err != nil {
				t.Fatal(err)
			}
			h := srv.lastHello()
			if h.ServerName != tt.wantSNI || info.ServerName != tt.wantSNI {
				t.Errorf("SNI sent %q, Info %q, want %q", h.ServerName, info.ServerName, tt.wantSNI)
			}
			if !slices.Equal(h.SupportedProtos, tt.wantALPN) {
				t.Errorf("ALPN %q, want %q", h.SupportedProtos, tt.wantALPN)
			}
			// Go orders groups itself (CurvePreferences' order is ignored
			// since Go 1.24), so only the set is the configuration's.
			if tt.wantGroups != nil && !sameSet(h.SupportedCurves, tt.wantGroups) {
				t.Errorf("groups %v, want %v", h.SupportedCurves, tt.wantGroups)
			}
			if !slices.Equal(h.SupportedVersions, tt.wantVers) {
				t.Errorf("versions %x, want %x", h.SupportedVersions, tt.wantVers)
			}
			if info.Protocol != tt.wantProto || info.Verify != "NONE" || info.Cipher == "" {
				t.Errorf("info %+v, want protocol %s", info, tt.wantProto)
			}
		})
	}
}

func TestHandshakeBoundedByContext(t *testing.T) {
	// A peer that accepts but never answers the ClientHello.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		conn, err := ln.Accept()
		if err == nil {
			// Read the ClientHello and more, until the client gives up.
			buf := make([]byte, 4096)
			for i := 0; i < 10; i++ {
				if _, err := conn.Read(buf); err != nil {
					break
				}
			}
			conn.Close()
		}
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := newClient(t, config.ProxySSL{Enabled: true, SessionReuse: true}, "backend")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, _, err = c.Handshake(ctx, conn, ln.Addr().String())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want deadline exceeded", err)
	}
	wantErr(t, err, "upstream timed out (110: Connection timed out)")
	conn.Close()
	<-done
}

func TestMatchesName(t *testing.T) {
	dns := func(names ...string) testpki.Spec { return testpki.Spec{DNSNames: names} }
	tests := []struct {
		spec testpki.Spec
		name string
		want bool
	}{
		{dns("backend"), "backend", true},
		{dns("backend"), "BACKEND", true},
		{dns("backend"), "backend.", true},
		{dns("other", "backend"), "backend", true},
		{dns("*.example.com"), "a.example.com", true},
		{dns("*.example.com"), "example.com", false},
		{dns("*.example.com"), "a.b.example.com", false},
		{dns("*.com"), "example.com", false},
		{dns("f*.example.com"), "foo.example.com", false}, // no partial wildcards
		{dns("*.example.com"), ".example.com", false},
		{testpki.Spec{CommonName: "backend"}, "backend", true},
		{testpki.Spec{CommonName: "*.example.com"}, "a.example.com", true},
		{testpki.Spec{CommonName: "backend", DNSNames: []string{"x"}}, "backend", false},
		{testpki.Spec{IPs: []net.IP{net.ParseIP("10.0.0.1")}}, "10.0.0.1", true},
		{testpki.Spec{IPs: []net.IP{net.ParseIP("::1")}}, "[::1]", true},
		{testpki.Spec{IPs: []net.IP{net.ParseIP("::1")}}, "::1", true},
		{testpki.Spec{IPs: []net.IP{net.ParseIP("10.0.0.1")}}, "10.0.0.2", false},
		{dns("10.0.0.1"), "10.0.0.1", true}, // nginx's string match still works
		{dns("*.0.0.1"), "10.0.0.1", false},
		{dns("backend"), "", false},
	}
	for _, tt := range tests {
		leaf := testpki.SelfSigned(t, tt.spec)
		if got := matchesName(leaf.Cert, tt.name); got != tt.want {
			t.Errorf("%+v vs %q: %v, want %v", tt.spec, tt.name, got, tt.want)
		}
	}
}

func TestWarnings(t *testing.T) {
	tests := []struct {
		name string
		s    config.ProxySSL
		want []string
	}{
		{"off", config.ProxySSL{}, nil},
		{"verified", config.ProxySSL{Enabled: true, Verify: true, TrustedCertificate: "/ca.pem"}, nil},
		{"not verified", config.ProxySSL{Enabled: true}, nil},
		{"trust and CRL unused", config.ProxySSL{Enabled: true, TrustedCertificate: "/ca.pem", CRL: "/crl.pem"}, []string{
			"proxy_ssl_trusted_certificate has no effect without proxy_ssl_verify on",
			"proxy_ssl_crl has no effect without proxy_ssl_verify on"}},
		{"hole", config.ProxySSL{Enabled: true, Verify: true, Protocols: []string{"TLSv1", "TLSv1.2"}}, []string{
			`proxy_ssl_protocols "TLSv1 TLSv1.2" leaves out TLSv1.1, which strait enables too: Go's TLS takes a version range`}},
		{"TLS 1.3 only", config.ProxySSL{Enabled: true, Verify: true, Protocols: []string{"TLSv1.3"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Warnings(tt.s); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func sameSet(a, b []tls.CurveID) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
