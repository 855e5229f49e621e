package server

import (
	"fmt"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/straitproxy/strait/internal/straittest"
)

// TestProxyBindWithVariables runs sessions whose proxy_bind comes from a
// map, as nginx evaluates it per session: an address binds the upstream
// connection to it, an empty value binds nothing, and a value that is not
// an address is logged ("invalid local address") and binds nothing.
func TestProxyBindWithVariables(t *testing.T) {
	dir := t.TempDir()
	// The upstream answers with the address the connection came from.
	up := straittest.ServeTCP(t, func(c net.Conn) {
		host, _, _ := net.SplitHostPort(c.RemoteAddr().String())
		io.WriteString(c, host)
	})
	lnA, pA := listenPort(t)
	lnE, pE := listenPort(t)
	lnX, pX := listenPort(t)
	cfg := mustConfig(t, dir, fmt.Sprintf(`
events {}
stream {
    map $server_port $local {
        %s  127.0.0.2;
        %s  "";
        default nonsense;
    }
    proxy_bind $local;
    server { listen 127.0.0.1:%s; proxy_pass %s; }
    server { listen 127.0.0.1:%s; proxy_pass %s; }
    server { listen 127.0.0.1:%s; proxy_pass %s; }
}`, pA, pE, pA, up, pE, up, pX, up))
	ts := startServer(t, cfg, lnA, lnE, lnX)
	for _, c := range []struct{ port, want string }{{pA, "127.0.0.2"}, {pE, "127.0.0.1"}, {pX, "127.0.0.1"}} {
		if got := roundTrip(t, "127.0.0.1:"+c.port, ""); got != c.want {
			t.Errorf("session on port %s came from %q, want %q", c.port, got, c.want)
		}
	}
	waitFor(t, "three sessions to end", func() bool { return ts.Stats().Statuses[200] == 3 })
	if log := ts.log.String(); strings.Count(log, `invalid local address "nonsense"`) != 1 {
		t.Errorf("want one invalid local address line:\n%s", log)
	}
}
