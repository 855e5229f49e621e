// Package servertest runs strait in-process for tests, the way
// net/http/httptest runs an HTTP server: it loads a configuration file as
// `strait -p prefix -c file` would and serves it until the test ends. It
// is for tests only; nothing in the strait binary imports it. Loopback
// scaffolding that needs no strait package lives in internal/straittest,
// which the internal tests of internal/server can import and this
// package cannot be.
package servertest

import (
	"log/slog"
	"net"
	"os"
	"testing"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/errlog"
	"github.com/straitproxy/strait/internal/server"
	"github.com/straitproxy/strait/internal/straittest"
)

// Instance is a strait serving in-process.
type Instance struct {
	Server *server.Server
	Log    *straittest.LockedBuffer // the error log, at level info
}

// Start loads the configuration file at confPath with prefix as the
// prefix directory (as `strait -p prefix -c confPath` would), serves it
// until the test ends and then stops it and waits for Serve to return.
// If the test failed, the error log is logged. The listeners, bound by
// the test (straittest.ListenAddr) for addresses the configuration
// listens on, are handed to the server, which serves them instead of
// binding those addresses: so a test never needs a free port.
func Start(tb testing.TB, confPath, prefix string, inherited ...net.Listener) *Instance {
	tb.Helper()
	return StartSockets(tb, confPath, prefix, inherited, nil)
}

// StartSockets is Start with UDP sockets, bound by the test for the
// configuration's "listen ... udp" addresses, handed over too.
func StartSockets(tb testing.TB, confPath, prefix string, inherited []net.Listener, packets []net.PacketConn) *Instance {
	tb.Helper()
	cfg, err := config.Load(config.LoadOptions{File: confPath, Prefix: prefix})
	if err != nil {
		for _, ln := range inherited {
			ln.Close()
		}
		for _, pc := range packets {
			pc.Close()
		}
		text, _ := os.ReadFile(confPath)
		tb.Fatalf("load configuration: %v\n%s", err, text)
	}
	log := &straittest.LockedBuffer{}
	logger := slog.New(errlog.NewHandler(log, errlog.LevelInfo, errlog.Options{PID: os.Getpid()}))
	srv, err := server.New(cfg, server.Options{Logger: logger, PID: os.Getpid(), Inherited: inherited, InheritedPackets: packets})
	if err != nil {
		tb.Fatalf("start strait: %v", err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	tb.Cleanup(func() {
		srv.Close()
		<-served
		if tb.Failed() {
			tb.Logf("strait error log:\n%s", log.String())
		}
	})
	return &Instance{Server: srv, Log: log}
}

// Addr returns the address of the first listener.
func (in *Instance) Addr(tb testing.TB) string {
	tb.Helper()
	addrs := in.Server.Addrs()
	if len(addrs) == 0 {
		tb.Fatal("strait has no listener")
	}
	return addrs[0].String()
}
