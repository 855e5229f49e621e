package process

import (
	"net"
	"path/filepath"
	"testing"
	"time"
)

// notifySocket binds a unixgram socket in dir for NOTIFY_SOCKET, as
// systemd provides one, and returns its path and a function that reads
// the next notification (failing the test when none comes within 20 s:
// the deadline only turns a missing notification into a failure).
func notifySocket(t *testing.T, dir string) (path string, next func() string) {
	t.Helper()
	path = filepath.Join(dir, "notify")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return path, func() string {
		t.Helper()
		c.SetReadDeadline(time.Now().Add(20 * time.Second))
		buf := make([]byte, 4096)
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("waiting for a notification: %v", err)
		}
		return string(buf[:n])
	}
}
