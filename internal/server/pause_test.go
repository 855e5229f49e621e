package server

import (
	"fmt"
	"net"
	"testing"

	"github.com/straitproxy/strait/internal/straittest"
)

// A paused server leaves its sockets to whoever else holds them (the new
// binary of an upgrade), and takes over again on resume.
func TestPauseLeavesTheSocketToAnotherHolder(t *testing.T) {
	echo := straittest.ServeTCP(t, straittest.Echo)
	ln, port := listenPort(t)
	cfg := mustConfig(t, t.TempDir(), fmt.Sprintf(`stream { server { listen 127.0.0.1:%s; proxy_pass %s; } }`, port, echo))
	ts := startServer(t, cfg, ln)
	addr := "127.0.0.1:" + port
	echoSession(t, addr, "before")

	files, err := ts.ListenerFiles()
	if err != nil || len(files) != 1 {
		t.Fatalf("ListenerFiles: %v, %v", files, err)
	}
	other, err := net.FileListener(files[0])
	files[0].Close()
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	ts.PauseAccepting()
	// With the server's accept loops gone, only the other holder can
	// accept, so these connections must reach it.
	for i := range 3 {
		c := straittest.Dial(t, addr)
		got, err := other.Accept()
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		got.Close()
		c.Close()
	}
	if n := ts.Stats().Accepted; n != 1 {
		t.Errorf("the paused server accepted %d connections, want only the first", n)
	}
	other.Close()
	ts.ResumeAccepting()
	echoSession(t, addr, "after")
}
