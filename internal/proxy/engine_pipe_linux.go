package proxy

import (
	"context"
	"crypto/tls"
	"net"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// onEngine carries a plain session on e until it ends and reports
// whether it did; false leaves both connections untouched for the
// goroutine engine.
func (e *Engine) onEngine(ctx context.Context, p *pipeState, up, down *flow) bool {
	if e == nil {
		return false
	}
	if _, ok := p.client.(*net.TCPConn); !ok {
		return false
	}
	if _, ok := p.upRaw.(*net.TCPConn); !ok {
		return false
	}
	var tc *tls.Conn
	var ts *tlsSocket
	if p.upConn != p.upRaw {
		var ok bool
		if tc, ok = p.upConn.(*tls.Conn); !ok {
			return false
		}
		if ts, ok = tc.NetConn().(*tlsSocket); !ok {
			return false
		}
	}
	cfd, err := dupSocket(p.client)
	if err != nil {
		return false
	}
	ufd, err := dupSocket(p.upRaw)
	if err != nil {
		unix.Close(cfd)
		return false
	}
	// The loop owns the duplicates; closing the net.Conns takes the
	// sockets out of the runtime's poller.
	p.client.Close()
	p.upRaw.Close()
	s := &esession{fds: [2]int{cfd, ufd}, p: p, loop: e.pick(), slot: -1, done: make(chan struct{}), up: tc, upTS: ts}
	s.dirs[sideClient] = edir{f: up, writable: true}
	s.dirs[sideUpstream] = edir{f: down, writable: true}
	if ts != nil {
		ts.onLoop, ts.r.fd, ts.r.onLoop, ts.r.drained = true, ufd, true, false
		// crypto/tls may hold bytes read with the handshake, which no
		// socket event will announce: look once.
		s.dirs[sideUpstream].readable = true
	}
	stop := context.AfterFunc(ctx, func() { s.loop.post(loopReq{kind: reqCancel, s: s}) })
	s.loop.post(loopReq{kind: reqAdd, s: s})
	<-s.done
	stop()
	return true
}

// startTimer arms the session's proxy_timeout, from the loop.
func (s *esession) startTimer() {
	if s.p.timeout > 0 {
		s.timer = time.AfterFunc(s.p.timeout, func() { s.loop.post(loopReq{kind: reqIdle, s: s}) })
	}
}

// dupSocket duplicates c's descriptor (close-on-exec, and non-blocking
// like the original, whose file status it shares).
func dupSocket(c net.Conn) (int, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return -1, os.ErrInvalid
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	nfd := -1
	var derr error
	if err := rc.Control(func(fd uintptr) {
		nfd, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return -1, err
	}
	if derr != nil {
		return -1, os.NewSyscallError("fcntl", derr)
	}
	return nfd, nil
}
