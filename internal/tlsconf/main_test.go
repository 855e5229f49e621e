package tlsconf

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/testpki"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// testServer is a crypto/tls server on 127.0.0.1 that completes the
// handshake, writes "ok\n" and waits for the client to close.
type testServer struct {
	addr  string
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	hello []*tls.ClientHelloInfo // every ClientHello seen
}

func startServer(t *testing.T, cfg *tls.Config) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &testServer{addr: ln.Addr().String(), ln: ln}
	cfg = cfg.Clone()
	cfg.GetConfigForClient = func(h *tls.ClientHelloInfo) (*tls.Config, error) {
		s.mu.Lock()
		s.hello = append(s.hello, h)
		s.mu.Unlock()
		return nil, nil
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer conn.Close()
				_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
				tc := tls.Server(conn, cfg)
				if tc.Handshake() != nil {
					return
				}
				_, _ = tc.Write([]byte("ok\n"))
				_, _ = bufio.NewReader(tc).ReadString('\n') // until the client closes
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s
}

func (s *testServer) lastHello() *tls.ClientHelloInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.hello) == 0 {
		return nil
	}
	return s.hello[len(s.hello)-1]
}

// serverConfig serves leaf (with its intermediates).
func serverConfig(l *testpki.Leaf) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{l.TLSCertificate()}}
}

// connect dials addr, runs the handshake and, on success, reads the
// server's greeting so that TLS 1.3 tickets are processed.
func connect(t *testing.T, c *Client, addr string) (Info, error) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tc, info, err := c.Handshake(ctx, conn, addr)
	if err != nil {
		var he *HandshakeError
		if !errors.As(err, &he) {
			t.Fatalf("handshake error %T is not a *HandshakeError: %v", err, err)
		}
		return info, err
	}
	_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(tc).ReadString('\n')
	if err != nil || line != "ok\n" {
		t.Fatalf("read greeting: %q, %v", line, err)
	}
	_ = tc.Close()
	return info, nil
}

// verifying returns proxy_ssl settings with verification against trusted.
func verifying(trusted string, depth int) config.ProxySSL {
	return config.ProxySSL{
		Enabled: true, Verify: true, TrustedCertificate: trusted, VerifyDepth: depth,
		SessionReuse: true, Ciphers: "DEFAULT", Protocols: []string{"TLSv1.2", "TLSv1.3"},
	}
}

func newClient(t *testing.T, s config.ProxySSL, name string) *Client {
	t.Helper()
	c, err := NewClient(s, name)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

// needOpenSSL returns the openssl binary; without it the test skips,
// unless CI is set, where a missing tool is a failure.
func needOpenSSL(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("openssl is required when CI is set: %v", err)
		}
		t.Skip("openssl not installed")
	}
	return p
}
