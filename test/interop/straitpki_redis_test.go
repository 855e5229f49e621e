package interop

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestStraitPKIDrivesRedis runs the article's server block on files made
// by the built binary's `strait pki` in front of redis-server with TLS
// that requires a client certificate: the server certificate (leaf and
// intermediate) and key go to redis unchanged, the root checks strait's
// client certificate there, and strait uses the directives `strait pki
// issue client` printed, its encrypted key and the CRL included.
func TestStraitPKIDrivesRedis(t *testing.T) {
	server := needTool(t, "redis-server")
	cli := needTool(t, "redis-cli")
	dir := t.TempDir()
	pki := straitPKI(t, dir)
	pki("init")
	client := pki("issue", "client", "backend", "--encrypt", "--password-file", filepath.Join(dir, "password"))
	pki("issue", "server", "redis.internal")
	peer := startRedis(t, server, "--bind", "127.0.0.1", "--port", "0",
		"--tls-cert-file", filepath.Join(dir, "redis.internal.crt"),
		"--tls-key-file", filepath.Join(dir, "redis.internal.key"),
		"--tls-ca-cert-file", filepath.Join(dir, "trusted_ca_cert.crt"),
		"--tls-auth-clients", "yes", "--save", "", "--appendonly", "no", "--dir", dir)

	var directives []string
	for _, l := range strings.Split(client, "\n") {
		if strings.HasPrefix(l, "    proxy_ssl_") {
			directives = append(directives, strings.TrimSpace(l))
		}
	}
	if len(directives) == 0 {
		t.Fatalf("strait pki issue client printed no directives:\n%s", client)
	}
	ln, addr := listenAddr(t)
	st := startStrait(t, t.TempDir(), fmt.Sprintf(`
    server {
        listen %s;
        proxy_pass %s;
        proxy_ssl on;
        proxy_ssl_name redis.internal;
        %s
    }`, addr, peer, strings.Join(directives, "\n        ")), ln)
	host, port, _ := net.SplitHostPort(st.Addr(t))
	run := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*waitLimit)
		defer cancel()
		out, err := exec.CommandContext(ctx, cli, append([]string{"-h", host, "-p", port}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if got := run("set", "k", "made by strait pki"); got != "OK" {
		t.Fatalf("SET replied %q", got)
	}
	if got := run("get", "k"); got != "made by strait pki" {
		t.Fatalf("GET replied %q", got)
	}
	for _, rec := range st.records(t, 2) {
		if rec.Status != "200" || rec.Verify != "OK" || rec.UpstreamAddr != peer {
			t.Errorf("record %+v, want status 200, verified, to %s", rec, peer)
		}
	}
}
