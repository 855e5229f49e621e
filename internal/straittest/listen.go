package straittest

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// A test never picks a free port to bind it later: between the two,
// another process may take the port (seen as "connect() failed (111:
// Connection refused)" flakes). It binds 127.0.0.1:0, reads the address
// back and keeps the socket, handing it to whoever serves on it: strait
// in-process (server.Options.Inherited), strait or nginx as a process
// (the STRAIT or NGINX environment variable), HAProxy (bind fd@N).

// ListenAddr is Listen and the address it bound, for a configuration.
func ListenAddr(tb testing.TB) (net.Listener, string) {
	tb.Helper()
	ln := Listen(tb)
	return ln, ln.Addr().String()
}

// ListenRange binds n consecutive loopback ports and returns their
// listeners, closed when the test ends, for a listen directive with a
// port range. It tries ports below the usual ephemeral range (32768 and
// up on Linux), where client sockets the kernel numbers do not land
// between them, and tries again from elsewhere while one of them is
// taken: holding every socket it returns, it cannot race.
func ListenRange(tb testing.TB, n int) []net.Listener {
	tb.Helper()
	for range 200 {
		first := 10000 + rand.IntN(20000)
		var held []net.Listener
		for i := range n {
			ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(first+i))
			if err != nil {
				break
			}
			held = append(held, ln)
		}
		if len(held) == n {
			tb.Cleanup(func() {
				for _, ln := range held {
					ln.Close()
				}
			})
			return held
		}
		for _, ln := range held {
			ln.Close()
		}
	}
	tb.Fatalf("no %d consecutive loopback ports could be bound", n)
	return nil
}

// Port returns the port of a listener's address, as text.
func Port(tb testing.TB, ln net.Listener) string {
	tb.Helper()
	_, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	return port
}

// PassListeners arranges for cmd to inherit lns: their sockets become
// the child's file descriptors 3, 4, … after any ExtraFiles already set,
// and, unless env is "", the variable env lists them the way nginx's
// NGINX variable does ("NGINX=3;4;"; strait reads STRAIT). The test's
// own listeners are closed, so that only the child accepts; the child's
// copies are closed in the parent by the release function returned,
// which the caller runs once cmd has started (or failed to).
func PassListeners(tb testing.TB, cmd *exec.Cmd, env string, lns ...net.Listener) (release func()) {
	tb.Helper()
	socks := make([]io.Closer, len(lns))
	for i, ln := range lns {
		socks[i] = ln
	}
	return PassSockets(tb, cmd, env, socks...)
}

// PassSockets is PassListeners for any sockets with a File method:
// listeners, and UDP sockets (*net.UDPConn) for "listen ... udp", which
// strait and nginx take from the same variable.
func PassSockets(tb testing.TB, cmd *exec.Cmd, env string, lns ...io.Closer) (release func()) {
	tb.Helper()
	var files []*os.File
	var fds strings.Builder
	for _, ln := range lns {
		fl, ok := ln.(interface{ File() (*os.File, error) })
		if !ok {
			tb.Fatalf("listener %T has no file to pass", ln)
		}
		f, err := fl.File()
		if err != nil {
			tb.Fatal(err)
		}
		ln.Close() // the file holds the socket now
		fmt.Fprintf(&fds, "%d;", 3+len(cmd.ExtraFiles))
		cmd.ExtraFiles = append(cmd.ExtraFiles, f)
		files = append(files, f)
	}
	if env != "" {
		if cmd.Env == nil {
			cmd.Env = os.Environ()
		}
		cmd.Env = append(cmd.Env, env+"="+fds.String())
	}
	return func() {
		for _, f := range files {
			f.Close()
		}
	}
}
