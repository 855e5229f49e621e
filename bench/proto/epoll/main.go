// Command epoll is a minimal plain TCP proxy shaped like strait's session
// engine: one epoll event loop per GOMAXPROCS, sockets registered
// edge-triggered with EPOLLRDHUP once both sides are connected, one read
// and one write per message, and each loop parked in the runtime's poller
// (its epoll descriptor read through one RawConn.Read) instead of blocking
// in epoll_wait. It has none of strait's per-session work (access log,
// timers, limits, splice, TLS): it measures what the engine's shape costs
// on its own.
package main

import (
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/straitproxy/strait/bench/proto/internal/cli"
	"golang.org/x/sys/unix"
)

func main() {
	rs := cli.Parse()
	loops := make([]*loop, runtime.GOMAXPROCS(0))
	for i := range loops {
		loops[i] = newLoop()
		go loops[i].run()
	}
	var next atomic.Uint32
	cli.Serve(rs, func(c, u *net.TCPConn) {
		cfd, ufd, ok := cli.DetachPair(c, u)
		if !ok {
			return
		}
		loops[next.Add(1)%uint32(len(loops))].post(&session{fds: [2]int{cfd, ufd}})
	})
}

// session is a client socket (side 0) and its upstream (side 1); dirs[i]
// carries bytes read on side i to side 1-i.
type session struct {
	fds  [2]int
	dirs [2]dir
	slot int32
}

// dir is one direction's state.
type dir struct {
	readable bool   // the source may have bytes (or EOF) to read
	rdhup    bool   // a FIN waits behind the data: read until EOF
	writable bool   // the destination may take bytes
	held     []byte // bytes read but not yet written
	eof      bool   // the source said EOF and the FIN was passed on
}

// loop is one event loop; everything but mu and queue is its goroutine's.
type loop struct {
	epfd, efd int
	file      *os.File
	mu        sync.Mutex
	queue     []*session
	sessions  []*session
	free      []int32
	scratch   []byte
}

func newLoop() *loop {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		cli.Fatal(err)
	}
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		cli.Fatal(err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: -1}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, efd, &ev); err != nil {
		cli.Fatal(err)
	}
	// Non-blocking so that os.NewFile registers it with the runtime's
	// poller: an epoll descriptor is readable while it has events.
	if err := unix.SetNonblock(epfd, true); err != nil {
		cli.Fatal(err)
	}
	return &loop{epfd: epfd, efd: efd, file: os.NewFile(uintptr(epfd), "epoll"), scratch: make([]byte, 64<<10)}
}

func (l *loop) post(s *session) {
	l.mu.Lock()
	l.queue = append(l.queue, s)
	l.mu.Unlock()
	one := uint64(1)
	unix.Write(l.efd, (*[8]byte)(unsafe.Pointer(&one))[:])
}

// run serves the loop: epoll_wait without timeout while there are events,
// else park in the runtime's poller by returning false from the callback.
func (l *loop) run() {
	events := make([]unix.EpollEvent, 256)
	rc, err := l.file.SyscallConn()
	if err != nil {
		cli.Fatal(err)
	}
	rc.Read(func(uintptr) bool {
		for {
			n, _, errno := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(l.epfd),
				uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), 0, 0, 0)
			if errno != 0 && errno != unix.EINTR {
				cli.Fatal(errno)
			}
			if n == 0 {
				return false
			}
			for _, ev := range events[:n] {
				if ev.Fd < 0 {
					l.takeNew()
					continue
				}
				if s := l.sessions[ev.Fd]; s != nil {
					s.event(l, int(ev.Pad), ev.Events)
				}
			}
		}
	})
}

func (l *loop) takeNew() {
	var b [8]byte
	unix.Read(l.efd, b[:])
	l.mu.Lock()
	q := l.queue
	l.queue = nil
	l.mu.Unlock()
	for _, s := range q {
		if n := len(l.free); n > 0 {
			s.slot = l.free[n-1]
			l.free = l.free[:n-1]
			l.sessions[s.slot] = s
		} else {
			s.slot = int32(len(l.sessions))
			l.sessions = append(l.sessions, s)
		}
		for side, fd := range s.fds {
			ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET, Fd: s.slot, Pad: int32(side)}
			if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
				s.close(l)
				break
			}
		}
	}
}

func (s *session) event(l *loop, side int, ev uint32) {
	if ev&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
		s.dirs[side].readable = true
		s.dirs[side].rdhup = s.dirs[side].rdhup || ev&(unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0
	}
	if ev&(unix.EPOLLOUT|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
		s.dirs[1-side].writable = true
	}
	for side := range s.dirs {
		if !s.move(l, side) {
			s.close(l)
			return
		}
	}
	if s.dirs[0].eof && s.dirs[1].eof {
		s.close(l)
	}
}

// move runs one direction until it must wait; false means an error.
func (s *session) move(l *loop, side int) bool {
	d := &s.dirs[side]
	src, dst := s.fds[side], s.fds[1-side]
	for !d.eof {
		if len(d.held) > 0 {
			if !d.writable {
				return true
			}
			ok, err := d.write(dst, d.held)
			if err != nil {
				return false
			}
			if !ok {
				return true
			}
		}
		if !d.readable {
			return true
		}
		n, err := unix.Read(src, l.scratch)
		switch {
		case err == unix.EAGAIN:
			d.readable = false
			return true
		case err != nil:
			return false
		case n == 0:
			d.eof = true
			unix.Shutdown(dst, unix.SHUT_WR)
			return true
		}
		if n < len(l.scratch) && !d.rdhup {
			d.readable = false // a short read drained the socket
		}
		if _, err := d.write(dst, l.scratch[:n]); err != nil {
			return false
		}
	}
	return true
}

// write writes b to fd, keeping what the socket did not take in d.held;
// false means bytes are held.
func (d *dir) write(fd int, b []byte) (bool, error) {
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if err == unix.EAGAIN {
			d.writable = false
			d.held = append(d.held[:0:0], b...)
			return false, nil
		}
		if err != nil {
			return false, err
		}
		b = b[n:]
	}
	d.held = nil
	return true, nil
}

// close ends the session; closing the descriptors takes them out of the
// epoll set.
func (s *session) close(l *loop) {
	unix.Close(s.fds[0])
	unix.Close(s.fds[1])
	l.sessions[s.slot] = nil
	l.free = append(l.free, s.slot)
}
