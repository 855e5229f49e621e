package pki

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/tlsconf"
)

// TestStraitAcceptsWhatItIssues hands the files to strait's own TLS client
// as the article's directives name them, with a CRL and an encrypted key,
// against an upstream that requires the client certificate: the chain
// passes strait's verifier at the default security level 2, and a revoked
// upstream certificate fails it.
func TestStraitAcceptsWhatItIssues(t *testing.T) {
	ca, err := Init(t.TempDir(), InitOptions{}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ca.Issue(Request{Kind: Server, Name: "backend1", SANs: []string{"backend"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ca.Issue(Request{Kind: Client, Name: "backend", Password: []byte("pw")}); err != nil {
		t.Fatal(err)
	}
	pwFile := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(pwFile, []byte("pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	clientCAs := x509.NewCertPool()
	clientCAs.AddCert(ca.Root)
	addr := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{srv.TLSCertificate()},
		ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: clientCAs})

	client := func() *tlsconf.Client {
		c, err := tlsconf.NewClient(config.ProxySSL{
			Enabled: true, Verify: true, VerifyDepth: 2,
			Certificate: ca.Path("backend.crt"), CertificateKey: ca.Path("backend.key"), PasswordFile: pwFile,
			TrustedCertificate: ca.Path(RootCertFile), CRL: ca.Path(CRLFile),
			Protocols: []string{"TLSv1.2", "TLSv1.3"}, Ciphers: "DEFAULT",
		}, "backend")
		if err != nil {
			t.Fatalf("strait refuses the files: %v", err)
		}
		return c
	}
	if info, err := handshake(client(), addr); err != nil || info.Verify != "OK" {
		t.Fatalf("handshake: %v, verify %q", err, info.Verify)
	}
	if _, err := ca.Revoke("backend1"); err != nil {
		t.Fatal(err)
	}
	if _, err := handshake(client(), addr); err == nil || !strings.Contains(err.Error(), "certificate revoked") {
		t.Fatalf("handshake with a revoked upstream: %v", err)
	}
}

func handshake(c *tlsconf.Client, addr string) (tlsconf.Info, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return tlsconf.Info{}, err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tc, info, err := c.Handshake(ctx, conn, addr)
	if err == nil {
		// Read the server's one byte so TLS 1.3 client authentication has
		// been judged by the server too.
		tc.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err = tc.Read(make([]byte, 1))
	}
	return info, err
}

// serveTLS answers every TLS connection with one byte until the test ends.
func serveTLS(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.SetDeadline(time.Now().Add(10 * time.Second))
			c.Write([]byte("!"))
			c.Close()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return ln.Addr().String()
}
