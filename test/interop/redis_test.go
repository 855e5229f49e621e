package interop

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

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
	peer := startRedis(t, server, "--bind", "127.0.0.1", "--port", "0",
		"--tls-cert-file", cert, "--tls-key-file", key, "--tls-ca-cert-file", id.caFile,
		"--tls-auth-clients", "yes", "--save", "", "--appendonly", "no", "--dir", dir)

	ln, addr := listenAddr(t)
	st := startStrait(t, dir, fmt.Sprintf(`
    server {
        listen %s;
        proxy_pass %s;
        proxy_ssl on;
        proxy_ssl_name redis.internal;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate %s;
        %s
    }`, addr, peer, trusted, id.directives()), ln)
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

// startRedis runs redis-server with args and a TLS port, and returns the
// port's address once redis accepts connections.
//
// redis-server can neither take a listening socket from its parent nor
// bind port 0 and say which port it got, and TLS is not served on its
// unix socket. So it tries ports below the ephemeral range (where client
// sockets the kernel numbers do not land) and, when redis reports that
// the port is taken and exits, tries another. A conflict is seen and
// retried, never mistaken for a peer: unlike a port found free and bound
// later, this cannot make the test flake.
func startRedis(t *testing.T, server string, args ...string) string {
	t.Helper()
	for range 20 {
		port := strconv.Itoa(10000 + rand.IntN(20000))
		p := launch(t, false, server, append(args, "--tls-port", port)...)
		for deadline := time.Now().Add(waitLimit); ; time.Sleep(20 * time.Millisecond) {
			out := p.out.String()
			if strings.Contains(out, "Ready to accept connections") {
				return "127.0.0.1:" + port
			}
			select {
			case <-p.exited:
				if !strings.Contains(out, "Address already in use") {
					t.Fatalf("redis-server exited:\n%s", out)
				}
			default:
				if time.Now().After(deadline) {
					t.Fatalf("redis-server did not start within %v:\n%s", waitLimit, out)
				}
				continue
			}
			break // the port was taken: another one
		}
	}
	t.Fatal("redis-server found no free TLS port in 20 tries")
	return ""
}
