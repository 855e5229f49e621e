package interop

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/straitproxy/strait/internal/straittest"
)

// goPeer is a Go TLS upstream that requires a client certificate from its
// pool, echoes what it gets and records every byte: raw (as sent on the
// wire) and application data (after a successful handshake).
type goPeer struct {
	addr string

	mu         sync.Mutex
	raw, app   bytes.Buffer
	handshakes int // completed handshakes
	clients    []string
}

// startGoPeer serves cfg's certificate on a new loopback port. cfg gets
// RequireAndVerifyClientCert with clientCAs.
func startGoPeer(t testing.TB, cfg *tls.Config, clientCAs *x509.CertPool) *goPeer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serveGoPeer(t, ln, cfg, clientCAs)
}

func serveGoPeer(t testing.TB, ln net.Listener, cfg *tls.Config, clientCAs *x509.CertPool) *goPeer {
	t.Helper()
	cfg = cfg.Clone()
	cfg.ClientAuth = tls.RequireAndVerifyClientCert
	cfg.ClientCAs = clientCAs
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS10
	}
	p := &goPeer{addr: ln.Addr().String()}
	straittest.ServeListener(t, ln, func(c net.Conn) { p.serve(c, cfg) })
	return p
}

// rawRecorder keeps a copy of every byte read from the wire.
type rawRecorder struct {
	net.Conn
	p *goPeer
}

func (r rawRecorder) Read(b []byte) (int, error) {
	n, err := r.Conn.Read(b)
	r.p.mu.Lock()
	r.p.raw.Write(b[:n])
	r.p.mu.Unlock()
	return n, err
}

// serve runs on a connection that ServeListener closes and bounds by
// straittest.ConnDeadline (waitLimit).
func (p *goPeer) serve(c net.Conn, cfg *tls.Config) {
	tc := tls.Server(rawRecorder{c, p}, cfg)
	if err := tc.Handshake(); err != nil {
		return
	}
	p.mu.Lock()
	p.handshakes++
	if pc := tc.ConnectionState().PeerCertificates; len(pc) > 0 {
		p.clients = append(p.clients, pc[0].Subject.CommonName)
	}
	p.mu.Unlock()
	buf := make([]byte, 16<<10)
	for {
		n, err := tc.Read(buf)
		if n > 0 {
			p.mu.Lock()
			p.app.Write(buf[:n])
			p.mu.Unlock()
			if _, werr := tc.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if err == io.EOF {
				tc.CloseWrite()
			}
			return
		}
	}
}

// received returns the application bytes and raw bytes seen so far and
// the number of completed handshakes.
func (p *goPeer) received() (app, raw []byte, handshakes int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return bytes.Clone(p.app.Bytes()), bytes.Clone(p.raw.Bytes()), p.handshakes
}
