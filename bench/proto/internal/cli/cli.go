// Package cli is the command line every prototype engine shares:
//
//	PROTO -route LISTEN=UPSTREAM [-route LISTEN=UPSTREAM ...]
//
// plain TCP only, addresses host:port. A prototype prints nothing on
// success and ends on SIGTERM (the default action of the signal).
package cli

import (
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Route is one listener and the upstream its connections go to.
type Route struct {
	Listen, Upstream string
}

type routes []Route

func (r *routes) String() string { return fmt.Sprint(*r) }

func (r *routes) Set(s string) error {
	l, u, ok := strings.Cut(s, "=")
	if !ok || l == "" || u == "" {
		return fmt.Errorf("want LISTEN=UPSTREAM, got %q", s)
	}
	*r = append(*r, Route{Listen: l, Upstream: u})
	return nil
}

// Parse reads the routes from the command line, exiting with a message
// on error.
func Parse() []Route {
	var rs routes
	flag.Var(&rs, "route", "LISTEN=UPSTREAM (repeatable)")
	flag.Parse()
	if len(rs) == 0 || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: "+os.Args[0]+" -route LISTEN=UPSTREAM [-route ...]")
		os.Exit(2)
	}
	return rs
}

// Fatal prints err and exits.
func Fatal(err error) {
	fmt.Fprintln(os.Stderr, os.Args[0]+":", err)
	os.Exit(1)
}

// Listen opens every route's listener, exiting on error. LISTEN may be
// fd:N, a listening socket inherited as descriptor N (the tests hand
// over listeners they bound themselves).
func Listen(rs []Route) []net.Listener {
	var out []net.Listener
	for _, r := range rs {
		var l net.Listener
		var err error
		if n, ok := strings.CutPrefix(r.Listen, "fd:"); ok {
			fd, perr := strconv.Atoi(n)
			if perr != nil {
				Fatal(perr)
			}
			f := os.NewFile(uintptr(fd), r.Listen)
			l, err = net.FileListener(f)
			f.Close()
		} else {
			l, err = net.Listen("tcp", r.Listen)
		}
		if err != nil {
			Fatal(err)
		}
		out = append(out, l)
	}
	return out
}

// Detach takes a connected socket out of the runtime's poller: it returns
// a duplicate descriptor (non-blocking like the original, close-on-exec)
// and closes c, which removes the original from the runtime's epoll set.
func Detach(c *net.TCPConn) (int, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	var derr error
	err = rc.Control(func(s uintptr) {
		r, _, e := syscall.Syscall(syscall.SYS_FCNTL, s, syscall.F_DUPFD_CLOEXEC, 0)
		if e != 0 {
			derr = e
			return
		}
		fd = int(r)
	})
	c.Close()
	if err == nil {
		err = derr
	}
	return fd, err
}

// DetachPair detaches a session's client and upstream sockets (see
// Detach); if either fails, it closes what it holds and reports false.
func DetachPair(c, u *net.TCPConn) (cfd, ufd int, ok bool) {
	cfd, err := Detach(c)
	if err != nil {
		u.Close()
		return -1, -1, false
	}
	ufd, err = Detach(u)
	if err != nil {
		syscall.Close(cfd)
		return -1, -1, false
	}
	return cfd, ufd, true
}

// Serve accepts on every route and, for each client, dials the route's
// upstream in a goroutine of its own and hands both connections to
// handle. A failed dial closes the client. Serve never returns.
func Serve(rs []Route, handle func(client, upstream *net.TCPConn)) {
	for i, l := range Listen(rs) {
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					Fatal(err)
				}
				go func() {
					u, err := net.Dial("tcp", rs[i].Upstream)
					if err != nil {
						c.Close()
						return
					}
					handle(c.(*net.TCPConn), u.(*net.TCPConn))
				}()
			}
		}()
	}
	select {}
}
