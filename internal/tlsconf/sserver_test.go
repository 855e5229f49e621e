package tlsconf

import (
	"bufio"
	"context"
	"io"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/testpki"
)

// startSServer runs `openssl s_server -www` on a free 127.0.0.1 port with
// extra arguments and returns its address once it accepts connections.
func startSServer(t *testing.T, openssl string, args ...string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(openssl, append([]string{"s_server", "-accept", "127.0.0.1:" + port, "-www", "-naccept", "10"}, args...)...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	for i := 0; i < 100; i++ {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return addr
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("openssl s_server did not start: %s", out.String())
	return ""
}

// TestOpenSSLServerClientCertificate connects to `openssl s_server -Verify 1`,
// which refuses clients without a certificate from its CA, at every TLS
// version strait can speak.
func TestOpenSSLServerClientCertificate(t *testing.T) {
	openssl := needOpenSSL(t)
	dir := t.TempDir()
	server := testpki.NewChain(t, 1, testpki.Spec{DNSNames: []string{"backend"}})
	client := testpki.NewChain(t, 0, testpki.Spec{CommonName: "strait", Client: true})
	srvCert, srvKey := testpki.WriteCerts(t, dir, "srv.crt", server.Leaf.Cert), testpki.WriteKey(t, dir, "srv.key", server.Leaf.Key, testpki.PKCS8, "")
	srvChain := testpki.WriteCerts(t, dir, "srv-chain.crt", server.Leaf.Intermediates...)
	clientCA := testpki.WriteCerts(t, dir, "client-ca.crt", client.Root.Cert)
	trusted := testpki.WriteCerts(t, dir, "trusted.crt", server.Root.Cert)
	clientCert := testpki.WriteCerts(t, dir, "client.crt", client.Leaf.Cert)
	clientKey := testpki.WriteKey(t, dir, "client.key", client.Leaf.Key, testpki.PKCS8Encrypted, "pw")
	passwords := testpki.WriteFile(t, dir, "pw", []byte("first\npw\n"))

	tests := []struct {
		flag, protocol string
		extra          []string
	}{
		// OpenSSL 3 keeps TLS 1.0/1.1 only at security level 0.
		{"-tls1", "TLSv1", []string{"-cipher", "DEFAULT@SECLEVEL=0"}},
		{"-tls1_1", "TLSv1.1", []string{"-cipher", "DEFAULT@SECLEVEL=0"}},
		{"-tls1_2", "TLSv1.2", nil},
		{"-tls1_3", "TLSv1.3", nil},
	}
	for _, tt := range tests {
		t.Run(tt.protocol, func(t *testing.T) {
			args := append([]string{tt.flag, "-cert", srvCert, "-key", srvKey, "-cert_chain", srvChain,
				"-Verify", "1", "-CAfile", clientCA}, tt.extra...)
			addr := startSServer(t, openssl, args...)
			s := verifying(trusted, 1)
			s.Protocols = []string{"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"}
			s.Certificate, s.CertificateKey, s.PasswordFile = clientCert, clientKey, passwords
			c := newClient(t, s, "backend")
			page, info := fetchStatusPage(t, c, addr)
			if info.Protocol != tt.protocol || info.Verify != "OK" || info.Cipher == "" {
				t.Errorf("info = %+v, want %s", info, tt.protocol)
			}
			if !strings.Contains(page, "HTTP/1.0 200 ok") || !strings.Contains(page, "Client certificate") || !strings.Contains(page, "CN=strait") {
				t.Errorf("s_server did not get the client certificate:\n%s", page)
			}

			// Without a certificate the server refuses the session.
			s.Certificate, s.CertificateKey, s.PasswordFile = "", "", ""
			if page, _ := fetchStatusPage(t, newClient(t, s, "backend"), addr); strings.Contains(page, "200 ok") {
				t.Errorf("s_server accepted a client without certificate")
			}
		})
	}
}

// fetchStatusPage asks s_server -www for its status page; a refused
// handshake or session gives "" (TLS 1.3 reports a refused client
// certificate only when the client reads).
func fetchStatusPage(t *testing.T, c *Client, addr string) (string, Info) {
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
		return "", info
	}
	_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(tc, "GET / HTTP/1.0\r\n\r\n"); err != nil {
		return "", info
	}
	b, _ := io.ReadAll(bufio.NewReader(tc))
	return string(b), info
}

// TestOpenSSLServerResumption checks resumption against OpenSSL for TLS
// 1.2 (tickets) and TLS 1.3 (PSK).
func TestOpenSSLServerResumption(t *testing.T) {
	openssl := needOpenSSL(t)
	dir := t.TempDir()
	server := testpki.NewChain(t, 0, testpki.Spec{DNSNames: []string{"backend"}})
	crt, key := testpki.WriteLeaf(t, dir, "srv", server.Leaf)
	trusted := testpki.WriteCerts(t, dir, "trusted.crt", server.Root.Cert)
	for _, proto := range []string{"TLSv1.2", "TLSv1.3"} {
		t.Run(proto, func(t *testing.T) {
			addr := startSServer(t, openssl, "-cert", crt, "-key", key)
			s := verifying(trusted, 1)
			s.Protocols = []string{proto}
			c := newClient(t, s, "backend")
			for i := 0; i < 3; i++ {
				page, info := fetchStatusPage(t, c, addr)
				if !strings.Contains(page, "200 ok") || info.Protocol != proto {
					t.Fatalf("round %d: %+v\n%s", i, info, page)
				}
				if info.Reused != (i > 0) {
					t.Errorf("round %d: Reused = %v", i, info.Reused)
				}
			}
		})
	}
}
