package server

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/straitproxy/strait/internal/straittest"
)

// TestDownPeersGiveNoTries checks that a session's tries count only the
// servers that are not down, as nginx's peers->tries does: with one live
// server and one down, a refused connect ends the session with 502 after
// that one attempt, and $upstream_addr names the live server alone.
func TestDownPeersGiveNoTries(t *testing.T) {
	dir := t.TempDir()
	refused := straittest.RefusedAddr(t)
	other := straittest.RefusedAddr(t)
	ln, port := listenPort(t)
	cfg := mustConfig(t, dir, fmt.Sprintf(`
events {} stream {
    log_format tries '$status "$upstream_addr"';
    upstream u3 { server %s; server %s down; }
    server { listen 127.0.0.1:%s; proxy_pass u3; access_log {{dir}}/access.log tries; }
}`, refused, other, port))
	startServer(t, cfg, ln)
	logPath := filepath.Join(dir, "access.log")
	roundTrip(t, "127.0.0.1:"+port, "x")
	waitFor(t, "the access log record", func() bool { return strings.Count(readFile(t, logPath), "\n") == 1 })
	if got, want := readFile(t, logPath), fmt.Sprintf("502 %q\n", refused); got != want {
		t.Errorf("access log %q, want %q", got, want)
	}
}
