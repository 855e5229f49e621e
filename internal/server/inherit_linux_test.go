package server

import (
	"net"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/straittest"
)

// TestInheritedListenerKeepAliveFollowsListen: net.Listen and
// net.FileListener turn keepalive on for each accepted connection;
// an adopted listener's connections carry what the listen directive says
// instead, as those of a socket strait binds do.
func TestInheritedListenerKeepAliveFollowsListen(t *testing.T) {
	for _, tc := range []struct {
		name     string
		ka       config.Listen
		want     int
		wantIdle int
	}{
		{"default_off", config.Listen{}, 0, -1},
		{"so_keepalive_30s", config.Listen{KeepAlive: config.KeepAlive{Set: true, On: true, Idle: 30 * time.Second}}, 1, 30},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln := keepAliveAsConfigured(straittest.Listen(t), bindAddr{network: "tcp", listen: tc.ka})
			c := straittest.Dial(t, ln.Addr().String())
			defer c.Close()
			sc, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			defer sc.Close()
			rc, err := sc.(syscall.Conn).SyscallConn()
			if err != nil {
				t.Fatal(err)
			}
			var on, idle int
			rc.Control(func(fd uintptr) {
				on, _ = unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_KEEPALIVE)
				idle, _ = unix.GetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_KEEPIDLE)
			})
			if on != tc.want || (tc.wantIdle > 0 && idle != tc.wantIdle) {
				t.Errorf("SO_KEEPALIVE %d TCP_KEEPIDLE %d, want %d and %d", on, idle, tc.want, tc.wantIdle)
			}
		})
	}
}

var _ net.Listener = (*keepAliveListener)(nil)
