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

// onEngine carries a plain session on e. With finish nil it waits for
// the session's end (engineDone); otherwise it returns at once
// (engineAsync) and a finisher goroutine calls finish once the session
// has ended, so that an idle session holds no goroutine and its stack.
// engineNo leaves both connections untouched for the goroutine engine.
func (e *Engine) onEngine(ctx context.Context, p *pipeState, up, down *flow, finish func()) int {
	if e == nil {
		return engineNo
	}
	if _, ok := p.client.(*net.TCPConn); !ok {
		return engineNo
	}
	if _, ok := p.upRaw.(*net.TCPConn); !ok {
		return engineNo
	}
	var tc *tls.Conn
	var ts *tlsSocket
	if p.upConn != p.upRaw {
		var ok bool
		if tc, ok = p.upConn.(*tls.Conn); !ok {
			return engineNo
		}
		if ts, ok = tc.NetConn().(*tlsSocket); !ok {
			return engineNo
		}
	}
	cfd, err := dupSocket(p.client)
	if err != nil {
		return engineNo
	}
	ufd, err := dupSocket(p.upRaw)
	if err != nil {
		unix.Close(cfd)
		return engineNo
	}
	// The loop owns the duplicates; closing the net.Conns takes the
	// sockets out of the runtime's poller.
	p.client.Close()
	p.upRaw.Close()
	s := &esession{fds: [2]int{cfd, ufd}, p: p, loop: e.pick(), slot: -1, up: tc, upTS: ts}
	s.dirs[sideClient] = edir{f: up, writable: true}
	s.dirs[sideUpstream] = edir{f: down, writable: true}
	if ts != nil {
		ts.onLoop, ts.r.fd, ts.r.onLoop, ts.r.drained = true, ufd, true, false
		// crypto/tls may hold bytes read with the handshake, which no
		// socket event will announce: look once.
		s.dirs[sideUpstream].readable = true
	}
	cancel := func() { s.loop.post(loopReq{kind: reqCancel, s: s}) }
	if finish != nil {
		// Set before the session reaches the loop (post orders the two).
		var stop func() bool
		s.finish = func() {
			stop()
			finish()
		}
		stop = context.AfterFunc(ctx, cancel)
		s.loop.post(loopReq{kind: reqAdd, s: s})
		return engineAsync
	}
	s.done = make(chan struct{})
	stop := context.AfterFunc(ctx, cancel)
	s.loop.post(loopReq{kind: reqAdd, s: s})
	<-s.done
	stop()
	return engineDone
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
