// Package sdnotify tells the service manager about strait's state over the
// sd_notify protocol: one datagram of newline-separated KEY=VALUE lines to
// the unix socket named by $NOTIFY_SOCKET, as systemd's Type=notify units
// expect (https://www.freedesktop.org/software/systemd/man/sd_notify.html).
// It is a few lines over a unixgram socket rather than libsystemd, so the
// binary stays static.
package sdnotify

import (
	"fmt"
	"net"
	"os"
	"strings"
)

// Notifier sends state changes to one notification socket. A nil
// Notifier sends nothing, so callers need not ask whether they run under
// a service manager.
type Notifier struct {
	addr *net.UnixAddr
}

// New returns a Notifier for the socket path, or nil when path is empty
// or not a unix socket address. A leading '@' names an abstract socket,
// which Go's net package already maps to a leading NUL byte.
func New(path string) *Notifier {
	if path == "" || (path[0] != '/' && path[0] != '@') {
		// systemd also offers vsock:CID:PORT to virtual machines;
		// strait does not run as a VM's init, so it is not handled.
		return nil
	}
	return &Notifier{addr: &net.UnixAddr{Name: path, Net: "unixgram"}}
}

// FromEnv returns a Notifier for $NOTIFY_SOCKET, or nil outside a
// Type=notify service.
func FromEnv() *Notifier { return New(os.Getenv("NOTIFY_SOCKET")) }

// Notify sends the state lines in one datagram. systemd reads a
// datagram as a whole, so RELOADING=1 and its MONOTONIC_USEC= arrive
// together.
func (n *Notifier) Notify(lines ...string) error {
	if n == nil {
		return nil
	}
	c, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return fmt.Errorf("sd_notify: connect to %s: %w", n.addr.Name, err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(strings.Join(lines, "\n") + "\n")); err != nil {
		return fmt.Errorf("sd_notify: send to %s: %w", n.addr.Name, err)
	}
	return nil
}

// Ready reports that start-up or a reload has finished.
func (n *Notifier) Ready() error { return n.Notify("READY=1") }

// Reloading reports that a reload has begun. systemd 253 and later
// require MONOTONIC_USEC (CLOCK_MONOTONIC in microseconds) with it, to
// tell this reload from an earlier one; older versions ignore it.
func (n *Notifier) Reloading() error {
	lines := []string{"RELOADING=1"}
	if us, ok := monotonicUsec(); ok {
		lines = append(lines, fmt.Sprintf("MONOTONIC_USEC=%d", us))
	}
	return n.Notify(lines...)
}

// Stopping reports that a stop or graceful shutdown has begun.
func (n *Notifier) Stopping() error { return n.Notify("STOPPING=1") }

// Status sets the one-line status that `systemctl status` shows.
func (n *Notifier) Status(s string) error {
	// A newline would start a new KEY=VALUE line.
	return n.Notify("STATUS=" + strings.ReplaceAll(s, "\n", " "))
}
