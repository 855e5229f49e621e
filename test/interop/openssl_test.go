package interop

import (
	"fmt"
	"testing"

	"github.com/straitproxy/strait/internal/testpki"
)

// TestOpenSSLServerProtocols proxies to `openssl s_server -rev`, which
// requires a client certificate (-Verify 1) and answers every line
// reversed, at each TLS version strait can speak.
func TestOpenSSLServerProtocols(t *testing.T) {
	openssl := needTool(t, "openssl")
	dir := t.TempDir()
	id := newClientIdentity(t, dir)
	chain := testpki.NewChain(t, 1, testpki.Spec{DNSNames: []string{"backend"}})
	leaf := testpki.WriteCerts(t, dir, "srv.crt", chain.Leaf.Cert)
	key := testpki.WriteKey(t, dir, "srv.key", chain.Leaf.Key, testpki.PKCS8, "")
	inter := testpki.WriteCerts(t, dir, "srv-chain.crt", chain.Leaf.Intermediates...)
	trusted := testpki.WriteCerts(t, dir, "root.crt", chain.Root.Cert)

	tests := []struct {
		flag, protocol string
		extra          []string
	}{
		// OpenSSL 3 allows TLS 1.0 and 1.1 only at security level 0.
		{"-tls1", "TLSv1", []string{"-cipher", "DEFAULT@SECLEVEL=0"}},
		{"-tls1_1", "TLSv1.1", []string{"-cipher", "DEFAULT@SECLEVEL=0"}},
		{"-tls1_2", "TLSv1.2", nil},
		{"-tls1_3", "TLSv1.3", nil},
	}
	for _, tt := range tests {
		t.Run(tt.protocol, func(t *testing.T) {
			t.Parallel()
			sdir := t.TempDir()
			// s_server binds a port the system picks and prints it
			// ("ACCEPT 127.0.0.1:PORT") once it listens.
			args := append([]string{"s_server", "-accept", "127.0.0.1:0", "-rev", tt.flag,
				"-cert", leaf, "-key", key, "-cert_chain", inter, "-Verify", "1", "-CAfile", id.caFile}, tt.extra...)
			peer := launch(t, false, openssl, args...).waitOutput(t, "ACCEPT ")
			ln, addr := listenAddr(t)
			st := startStrait(t, sdir, fmt.Sprintf(`
    server {
        listen %s;
        proxy_pass %s;
        proxy_ssl on;
        proxy_ssl_protocols %s;
        proxy_ssl_name backend;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate %s;
        %s
    }`, addr, peer, tt.protocol, trusted, id.directives()), ln)

			for i, line := range []string{"hello strait", "second session"} {
				if got, want := readLine(t, st.Addr(t), line), reverse(line); got != want {
					t.Fatalf("session %d: reply %q, want %q", i, got, want)
				}
			}
			for _, rec := range st.records(t, 2) {
				if rec.Status != "200" || rec.Protocol != tt.protocol || rec.Cipher == "" || rec.Verify != "OK" || rec.ServerName != "backend" {
					t.Errorf("record %+v, want status 200 over %s, verified", rec, tt.protocol)
				}
			}
		})
	}
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}
