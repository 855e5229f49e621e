package sdnotify

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// listen binds a notification socket the way systemd does and returns
// its address and a function reading one datagram.
func listen(t *testing.T, name string) (string, func() string) {
	t.Helper()
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return name, func() string {
		t.Helper()
		// A deadline only so that a missing datagram fails the test
		// instead of hanging it.
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 4096)
		n, err := c.Read(buf)
		if err != nil {
			t.Fatalf("reading a notification: %v", err)
		}
		return string(buf[:n])
	}
}

func socketPath(t *testing.T) string {
	// sun_path holds 108 bytes; a deep TempDir may not fit, so keep the
	// file name short.
	return filepath.Join(t.TempDir(), "n")
}

func TestStates(t *testing.T) {
	path, read := listen(t, socketPath(t))
	n := New(path)
	for _, tc := range []struct {
		name string
		send func() error
		want string
	}{
		{"ready", n.Ready, "READY=1\n"},
		{"stopping", n.Stopping, "STOPPING=1\n"},
		{"status", func() error { return n.Status("reload failed:\nbad") }, "STATUS=reload failed: bad\n"},
	} {
		if err := tc.send(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := read(); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestReloadingCarriesMonotonicTimeInOneDatagram(t *testing.T) {
	path, read := listen(t, socketPath(t))
	before, ok := monotonicUsec()
	if !ok {
		t.Fatal("clock_gettime(CLOCK_MONOTONIC) failed")
	}
	if err := New(path).Reloading(); err != nil {
		t.Fatal(err)
	}
	after, _ := monotonicUsec()
	lines := strings.Split(strings.TrimSuffix(read(), "\n"), "\n")
	if len(lines) != 2 || lines[0] != "RELOADING=1" || !strings.HasPrefix(lines[1], "MONOTONIC_USEC=") {
		t.Fatalf("got %q, want RELOADING=1 and MONOTONIC_USEC= in one datagram", lines)
	}
	us, err := strconv.ParseUint(strings.TrimPrefix(lines[1], "MONOTONIC_USEC="), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	if us < before || us > after {
		t.Errorf("MONOTONIC_USEC=%d is outside the readings around it [%d, %d]", us, before, after)
	}
}

func TestAbstractSocket(t *testing.T) {
	// systemd's own socket is a path, but containers and test harnesses
	// hand out abstract names, written with a leading '@'.
	path, read := listen(t, fmt.Sprintf("@strait-sdnotify-test-%d", os.Getpid()))
	if err := New(path).Ready(); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != "READY=1\n" {
		t.Errorf("got %q", got)
	}
}

func TestNoSocketSendsNothing(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	for _, n := range []*Notifier{FromEnv(), New(""), New("vsock:2:1234"), New("relative/path")} {
		if n != nil {
			t.Errorf("got a notifier for %v, want nil", n.addr)
		}
		if err := n.Ready(); err != nil {
			t.Errorf("nil notifier: %v", err)
		}
	}
}

func TestFromEnv(t *testing.T) {
	path, read := listen(t, socketPath(t))
	t.Setenv("NOTIFY_SOCKET", path)
	if err := FromEnv().Stopping(); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != "STOPPING=1\n" {
		t.Errorf("got %q", got)
	}
}

func TestMissingSocketIsAnError(t *testing.T) {
	err := New(filepath.Join(t.TempDir(), "absent")).Ready()
	if err == nil || !strings.Contains(err.Error(), "sd_notify: connect to") {
		t.Errorf("got %v, want a connect error", err)
	}
}
