package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/straittest"
)

// An idle session parks both flows without a copy buffer, the TLS one
// included: buffers are held only while bytes are in flight.
func TestIdleSessionHoldsNoBuffer(t *testing.T) {
	cert := selfSigned(t)
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	tlsEcho := func(c net.Conn) {
		tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}})
		defer tc.Close()
		io.Copy(tc, tc)
	}
	tests := []struct {
		name      string
		upstream  func(net.Conn)
		handshake HandshakeFunc
	}{
		{"plain upstream", straittest.Echo, nil},
		{"TLS upstream", tlsEcho, goHandshake(&tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := straittest.ServeTCP(t, tt.upstream)
			buffers := NewBufferPool(16 << 10)
			proxyCfg := testProxyConfig()
			// A rate limit keeps plain<->plain off splice, so the
			// buffered copy is what runs.
			proxyCfg.UploadRate = 1 << 30
			h := &Handler{Group: newGroup(t, spec(up, 1)), Proxy: proxyCfg, NoDelay: true, Buffers: buffers, Handshake: tt.handshake}
			tp := startProxy(t, h)
			c := straittest.Dial(t, tp.addr)
			defer c.Close()
			for i := range 3 {
				if _, err := io.WriteString(c, "ping"); err != nil {
					t.Fatal(err)
				}
				var got [4]byte
				if _, err := io.ReadFull(c, got[:]); err != nil || string(got[:]) != "ping" {
					t.Fatalf("round %d: got %q, %v", i, got, err)
				}
			}
			// Parking happens right after the last write; wait for it,
			// bounded.
			held := buffers.held.Load()
			for i := 0; i < 200 && held != 0; i++ {
				time.Sleep(10 * time.Millisecond)
				held = buffers.held.Load()
			}
			if held != 0 {
				t.Errorf("idle session holds %d copy buffers, want 0", held)
			}
		})
	}
}

// When neither peer reads, both flows block writing; the idle timeout must
// still end the session (closing one side must not wait for a write to
// the other).
func TestIdleTimeoutEndsSessionWithBothWritesBlocked(t *testing.T) {
	cert := selfSigned(t)
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	chunk := make([]byte, 64<<10)
	flood := func(w io.Writer) {
		for range 1 << 12 { // bounded: far more than socket buffers hold
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}
	up := straittest.ServeTCP(t, func(c net.Conn) {
		tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}})
		defer tc.Close()
		if tc.Handshake() != nil {
			return
		}
		flood(tc) // never reads
	})
	cfg := testProxyConfig()
	cfg.Timeout = 300 * time.Millisecond
	h := &Handler{Group: newGroup(t, spec(up, 1)), Proxy: cfg, NoDelay: true, Buffers: NewBufferPool(16 << 10),
		Handshake: goHandshake(&tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})}
	tp := startProxy(t, h)
	c := straittest.Dial(t, tp.addr)
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	go flood(c) // never reads
	rec := tp.record(t)
	if rec.Status != 200 {
		t.Errorf("status %d, want 200 (idle timeout)", rec.Status)
	}
}
