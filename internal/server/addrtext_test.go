package server

import (
	"net"
	"testing"
)

func TestAddrHost(t *testing.T) {
	for _, tt := range []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.ParseIP("::ffff:127.0.0.1"), Port: 5}, "127.0.0.1"},
		{&net.TCPAddr{IP: net.ParseIP("::1"), Port: 5}, "::1"},
		// An unnamed client of a unix socket, as nginx shows it.
		{&net.UnixAddr{Name: "@", Net: "unix"}, "unix:"},
		{&net.UnixAddr{Name: "@abstract", Net: "unix"}, "unix:@abstract"},
		{&net.UnixAddr{Name: "/run/c.sock", Net: "unix"}, "unix:/run/c.sock"},
	} {
		if got := addrHost(tt.addr); got != tt.want {
			t.Errorf("addrHost(%v) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}
