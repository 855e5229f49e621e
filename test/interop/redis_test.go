package interop

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"

	"github.com/straitproxy/strait/internal/straittest"
	"github.com/straitproxy/strait/internal/testpki"
)

// TestRedisUpstream puts strait's plain listener in front of redis-server
// with TLS that requires a client certificate (--tls-auth-clients yes)
// and drives it with redis-cli and redis-benchmark.
func TestRedisUpstream(t *testing.T) {
	server := needTool(t, "redis-server")
	cli := needTool(t, "redis-cli")
	bench := needTool(t, "redis-benchmark")
	dir := t.TempDir()
	id := newClientIdentity(t, dir)
	chain := testpki.NewChain(t, 1, testpki.Spec{DNSNames: []string{"redis.internal"}})
	cert, key, trusted := serverFiles(t, dir, "redis", chain)
	peer := "127.0.0.1:" + straittest.FreePort(t)
	_, port, _ := net.SplitHostPort(peer)
	startProcess(t, peer, server, "--bind", "127.0.0.1", "--port", "0", "--tls-port", port,
		"--tls-cert-file", cert, "--tls-key-file", key, "--tls-ca-cert-file", id.caFile,
		"--tls-auth-clients", "yes", "--save", "", "--appendonly", "no", "--dir", dir)

	st := startStrait(t, dir, fmt.Sprintf(`
    server {
        listen 127.0.0.1:%s;
        proxy_pass %s;
        proxy_ssl on;
        proxy_ssl_name redis.internal;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate %s;
        %s
    }`, straittest.FreePort(t), peer, trusted, id.directives()))
	host, sport, _ := net.SplitHostPort(st.Addr(t))
	run := func(name string, args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*waitLimit)
		defer cancel()
		out, err := exec.CommandContext(ctx, name, append([]string{"-h", host, "-p", sport}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}

	if got := run(cli, "set", "k", "through strait"); got != "OK" {
		t.Fatalf("SET replied %q", got)
	}
	if got := run(cli, "get", "k"); got != "through strait" {
		t.Fatalf("GET replied %q", got)
	}
	out := run(bench, "-t", "ping,set,get", "-n", "2000", "-c", "10", "-q")
	for _, test := range []string{"PING_INLINE:", "PING_MBULK:", "SET:", "GET:"} {
		if !strings.Contains(out, test) {
			t.Errorf("redis-benchmark did not finish %s:\n%s", test, out)
		}
	}
	t.Logf("redis-benchmark through strait:\n%s", out)
	if strings.Contains(strings.ToLower(out), "error") {
		t.Errorf("redis-benchmark reported errors:\n%s", out)
	}
	// Two redis-cli sessions and redis-benchmark's ten clients at least.
	for _, rec := range st.records(t, 12) {
		if rec.Status != "200" || rec.Protocol != "TLSv1.3" || rec.Verify != "OK" || rec.UpstreamAddr != peer {
			t.Errorf("record %+v", rec)
		}
	}
}
