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

// TestUDPProxyBindWithVariables: proxy_bind applies to UDP sessions, with
// variables as for TCP, and the "udp proxy" line names the bound address.
func TestUDPProxyBindWithVariables(t *testing.T) {
	dir := t.TempDir()
	// The upstream answers with the address the datagram came from.
	up, upAddr := listenUDP(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 512)
		for {
			_, from, err := up.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			up.WriteToUDPAddrPort([]byte(from.Addr().String()), from)
		}
	}()
	t.Cleanup(func() { up.Close(); <-done })
	pcA, addrA := listenUDP(t)
	pcE, addrE := listenUDP(t)
	_, portA, _ := net.SplitHostPort(addrA)
	cfg := mustConfig(t, dir, fmt.Sprintf(`
events {}
stream {
    map $server_port $local {
        %s  127.0.0.2;
        default "";
    }
    proxy_bind $local;
    proxy_responses 1;
    server { listen %s udp; proxy_pass %s; }
    server { listen %s udp; proxy_pass %s; }
}`, portA, addrA, upAddr, addrE, upAddr))
	ts := startServerWith(t, cfg, Options{InheritedPackets: []net.PacketConn{pcA, pcE}})
	for _, c := range []struct{ addr, want string }{{addrA, "127.0.0.2"}, {addrE, "127.0.0.1"}} {
		if got := dialUDP(t, c.addr).exchange("q"); got != c.want {
			t.Errorf("session on %s came from %q, want %q", c.addr, got, c.want)
		}
	}
	waitFor(t, "two sessions to end", func() bool { return ts.Stats().Statuses[200] == 2 })
	if log := ts.log.String(); !strings.Contains(log, "udp proxy 127.0.0.2:") {
		t.Errorf("no \"udp proxy 127.0.0.2:...\" line:\n%s", log)
	}
}
