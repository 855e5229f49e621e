package server

import (
	"errors"
	"fmt"
	"testing"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/metrics"
	"github.com/straitproxy/strait/internal/proxy"
	"github.com/straitproxy/strait/internal/straittest"
	"github.com/straitproxy/strait/internal/tlsconf"
	"github.com/straitproxy/strait/internal/upstream"
)

func TestServerBlocksCountTheirOwnSessions(t *testing.T) {
	echo := straittest.ServeTCP(t, straittest.Echo)
	lnA, portA := listenPort(t)
	lnB, portB := listenPort(t)
	cfg := mustConfig(t, t.TempDir(), fmt.Sprintf(`stream {
    server { listen 127.0.0.1:%s; proxy_pass %s; }
    server { listen 127.0.0.1:%s; return "hi\n"; }
}`, portA, echo, portB))
	ts := startServer(t, cfg, lnA, lnB)
	echoSession(t, "127.0.0.1:"+portA, "ping")
	echoSession(t, "127.0.0.1:"+portA, "ping")
	if got := roundTrip(t, "127.0.0.1:"+portB, ""); got != "hi\n" {
		t.Fatalf("return block said %q", got)
	}
	// A session is counted once it has ended, after the client saw it end.
	var got []metrics.Server
	waitFor(t, "three finished sessions", func() bool {
		got = ts.MetricsSnapshot().Servers
		return len(got) == 2 && got[0].Sessions+got[1].Sessions == 3
	})
	if len(got) != 2 {
		t.Fatalf("servers: %+v", got)
	}
	a, b := got[0], got[1]
	if a.Name != "127.0.0.1:"+portA || a.Sessions != 2 || a.Active != 0 || a.Bytes.FromClient != 8 || a.Bytes.ToClient != 8 || a.Bytes.ToUpstream != 8 {
		t.Errorf("proxy block: %+v", a)
	}
	if b.Name != "127.0.0.1:"+portB || b.Sessions != 1 || b.Bytes.ToClient != 3 || b.Bytes.FromUpstream != 0 {
		t.Errorf("return block: %+v", b)
	}
}

func TestBlockName(t *testing.T) {
	sc := &config.Server{Listens: []config.Listen{
		{Network: "tcp", Address: "127.0.0.1:80"},
		{Network: "tcp", Address: "[::1]:8000", PortHigh: 8010},
		{Network: "unix", Address: "/run/s.sock"},
	}}
	if got, want := blockName(sc), "127.0.0.1:80, [::1]:8000-8010, unix:/run/s.sock"; got != want {
		t.Errorf("blockName = %q, want %q", got, want)
	}
}

func TestVerifyFailuresAreCountedByReason(t *testing.T) {
	c := newStatsCollector()
	fail := c.attemptFailed("backend")
	p := &upstream.Peer{Addr: "10.0.0.1:443"}
	expired := &tlsconf.HandshakeError{Verify: true, Code: 10, Reason: "certificate has expired"}
	fail(p, proxy.StageHandshake, expired)
	fail(p, proxy.StageHandshake, expired)
	fail(p, proxy.StageHandshake, &tlsconf.HandshakeError{Verify: true, Pin: true, Reason: "pin mismatch"})
	fail(p, proxy.StageHandshake, &tlsconf.HandshakeError{Err: errors.New("eof")})
	got := c.byPeer[peerKey{"backend", p.Addr}].verify
	if len(got) != 2 || got["certificate has expired"] != 2 || got["pin mismatch"] != 1 {
		t.Errorf("verify failures: %v", got)
	}
}
