// Command uring is a minimal plain TCP proxy on io_uring, through raw
// system calls (io_uring_setup, mmap of the rings, io_uring_enter,
// io_uring_register) with golang.org/x/sys/unix and no cgo. One ring per
// GOMAXPROCS; each socket has one multishot receive armed that takes its
// buffers from a provided buffer ring, every received buffer is sent on
// as it is (one send in flight per direction, so bytes keep their order),
// and one io_uring_enter submits what many sessions queued while it
// reaps their completions. EOF is passed on with a shutdown(SHUT_WR).
//
// How a ring's goroutine waits is chosen at build time with
// -ldflags=-X=main.wait=MODE:
//
//	eventfd (default): an eventfd registered with the ring
//	  (IORING_REGISTER_EVENTFD) is parked in the runtime's poller, inside
//	  one RawConn.Read; the goroutine never blocks in the kernel.
//	enter: the goroutine locks its thread and blocks in io_uring_enter
//	  with IORING_ENTER_GETEVENTS; the ring is set up SINGLE_ISSUER and
//	  DEFER_TASKRUN, so completions are only processed there.
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

// wait is how a ring's goroutine waits: "eventfd" or "enter".
var wait = "eventfd"

func main() {
	rs := cli.Parse()
	if wait != "eventfd" && wait != "enter" {
		cli.Fatal(os.ErrInvalid)
	}
	loops := make([]*loop, runtime.GOMAXPROCS(0))
	for i := range loops {
		loops[i] = &loop{}
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

// Kinds of operation, in the low bits of an SQE's user data; the session
// slot and the side are above them.
const (
	kindRecv = iota + 1
	kindSend
	kindShut
	kindWake
	kindCancel
)

// maxQueue bounds the buffers one direction holds: beyond it the
// direction's receive is cancelled until its destination drained half,
// so that one flow whose destination is slow cannot take the whole
// buffer pool (and starve the opposite direction it waits for).
const maxQueue = 16

func userData(slot uint32, side, kind int) uint64 {
	return uint64(slot)<<8 | uint64(side)<<4 | uint64(kind)
}

// session is a client socket (side 0) and its upstream (side 1); dirs[i]
// carries bytes received on side i to side 1-i.
type session struct {
	fds  [2]int
	dirs [2]dir
	slot uint32
	ops  int  // operations in flight (an armed multishot receive counts once)
	dead bool // failed: shut down, closed once ops is 0
}

type dir struct {
	queue    []chunk // received, not yet sent: queue[0] may be in flight
	sending  bool
	armed    bool // a multishot receive is armed on the source
	cancel   bool // and its cancellation submitted
	stalled  bool // the receive ended for want of buffers
	eof      bool // the source said EOF
	shutting bool // shutdown(SHUT_WR) of the destination submitted
	shut     bool // and done
}

// chunk is the unsent part [off, end) of provided buffer bid.
type chunk struct {
	bid      uint16
	off, end int
}

// loop is one ring and its sessions; mu guards only queue.
type loop struct {
	r        *ring
	wakefd   int
	wakeBuf  [8]byte // the target of the armed read of wakefd
	mu       sync.Mutex
	queue    []*session
	sessions []*session
	free     []uint32
	stalled  []*session
	held     int // provided buffers held in sessions' queues
}

func (l *loop) post(s *session) {
	l.mu.Lock()
	l.queue = append(l.queue, s)
	l.mu.Unlock()
	one := uint64(1)
	unix.Write(l.wakefd, (*[8]byte)(unsafe.Pointer(&one))[:])
}

func (l *loop) run() {
	var flags uint32
	if wait == "enter" {
		runtime.LockOSThread()
		flags = setupSingleIss | setupDeferTask
	}
	var err error
	if l.r, err = newRing(1024, flags); err != nil {
		cli.Fatal(err)
	}
	if l.wakefd, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err != nil {
		cli.Fatal(err)
	}
	l.armWake()
	if wait == "enter" {
		for {
			min := uint32(1) // nothing came: submit and wait, one call
			if l.r.completions(l.handle) > 0 {
				if l.r.pending == 0 && !l.r.needEnter() {
					continue
				}
				min = 0 // submit, and reap on the next turn
			}
			if err := l.r.enter(min, 0); err != nil {
				cli.Fatal(err)
			}
		}
	}
	cqfd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		cli.Fatal(err)
	}
	if err := l.r.registerEventfd(cqfd); err != nil {
		cli.Fatal(err)
	}
	rc, err := os.NewFile(uintptr(cqfd), "cq").SyscallConn()
	if err != nil {
		cli.Fatal(err)
	}
	// Inside one Read, readiness that arrives between two turns is kept,
	// so the eventfd's count never needs reading: every completion the
	// kernel posts writes it, and each write is a new edge for the
	// runtime's poller.
	rc.Read(func(uintptr) bool {
		for {
			n := l.r.completions(l.handle)
			if l.r.pending > 0 || l.r.needEnter() {
				if err := l.r.enter(0, 0); err != nil {
					cli.Fatal(err)
				}
				continue
			}
			if n == 0 {
				return false
			}
		}
	})
}

func (l *loop) armWake() {
	e := l.r.get()
	e.Opcode, e.Fd = opRead, int32(l.wakefd)
	e.Addr, e.Len = uint64(uintptr(unsafe.Pointer(&l.wakeBuf[0]))), 8
	e.UserData = userData(0, 0, kindWake)
}

func (l *loop) takeNew() {
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
			s.slot = uint32(len(l.sessions))
			l.sessions = append(l.sessions, s)
		}
		l.recv(s, 0)
		l.recv(s, 1)
	}
}

// recv arms a multishot receive on side.
func (l *loop) recv(s *session, side int) {
	e := l.r.get()
	e.Opcode, e.Fd, e.Ioprio = opRecv, int32(s.fds[side]), recvMultishot
	e.Flags, e.BufGroup = sqeBufferSelect, bufGroup
	e.UserData = userData(s.slot, side, kindRecv)
	s.dirs[side].armed = true
	s.ops++
}

// pause cancels side's receive: its queue is full.
func (l *loop) pause(s *session, side int) {
	d := &s.dirs[side]
	if !d.armed || d.cancel {
		return
	}
	e := l.r.get()
	e.Opcode, e.Addr = opAsyncCancel, userData(s.slot, side, kindRecv)
	e.UserData = userData(s.slot, side, kindCancel)
	d.cancel = true
	s.ops++
}

// resume arms side's receive again once its queue has room.
func (l *loop) resume(s *session, side int) {
	d := &s.dirs[side]
	if !d.armed && !d.eof && !d.stalled && !s.dead && len(d.queue) <= maxQueue/2 {
		l.recv(s, side)
	}
}

// send starts sending the head of side's queue, if not already.
func (l *loop) send(s *session, side int) {
	d := &s.dirs[side]
	if d.sending || len(d.queue) == 0 {
		return
	}
	c := d.queue[0]
	b := l.r.buf(c.bid)[c.off:c.end]
	e := l.r.get()
	e.Opcode, e.Fd = opSend, int32(s.fds[1-side])
	e.Addr, e.Len, e.OpFlags = uint64(uintptr(unsafe.Pointer(&b[0]))), uint32(len(b)), unix.MSG_NOSIGNAL
	e.UserData = userData(s.slot, side, kindSend)
	d.sending = true
	s.ops++
}

// shutWrite passes side's EOF on once everything before it was sent.
func (l *loop) shutWrite(s *session, side int) {
	d := &s.dirs[side]
	if !d.eof || d.shutting || len(d.queue) > 0 || s.dead {
		return
	}
	e := l.r.get()
	e.Opcode, e.Fd, e.Len = opShutdown, int32(s.fds[1-side]), unix.SHUT_WR
	e.UserData = userData(s.slot, side, kindShut)
	d.shutting = true
	s.ops++
}

func (l *loop) handle(c cqe) {
	slot, side, kind := uint32(c.UserData>>8), int(c.UserData>>4&1), int(c.UserData&15)
	if kind == kindWake {
		l.takeNew()
		l.armWake()
		return
	}
	s := l.sessions[slot]
	d := &s.dirs[side]
	switch kind {
	case kindRecv:
		if c.Flags&cqeFMore == 0 {
			s.ops--
			d.armed, d.cancel = false, false
		}
		if c.Flags&cqeFBuffer != 0 {
			bid := uint16(c.Flags >> cqeBufferShift)
			if c.Res > 0 && !s.dead {
				d.queue = append(d.queue, chunk{bid: bid, end: int(c.Res)})
				l.held++
				l.send(s, side)
				if len(d.queue) >= maxQueue {
					l.pause(s, side)
				}
			} else {
				l.r.putBuf(bid)
			}
		}
		switch {
		case s.dead:
		case c.Res == 0:
			d.eof = true
			l.shutWrite(s, side)
		case c.Res == -int32(unix.ENOBUFS):
			d.stalled = true
			l.stalled = append(l.stalled, s)
		case c.Res == -int32(unix.ECANCELED):
			// Paused; the queue may have drained before the cancellation
			// completed, else the send completions resume it.
			l.resume(s, side)
		case c.Res < 0:
			l.kill(s)
		case c.Flags&cqeFMore == 0:
			l.resume(s, side) // the kernel ended the multishot: arm again
		}
	case kindSend:
		s.ops--
		d.sending = false
		if c.Res < 0 || s.dead {
			l.kill(s)
			break
		}
		h := &d.queue[0]
		h.off += int(c.Res)
		if h.off == h.end {
			l.r.putBuf(h.bid)
			l.held--
			d.queue = d.queue[1:]
			if len(d.queue) == 0 {
				d.queue = nil
			}
		}
		l.send(s, side)
		l.shutWrite(s, side)
		l.resume(s, side)
		l.unstall()
	case kindCancel:
		s.ops--
	case kindShut:
		s.ops--
		d.shut = true
	}
	if s.dead && s.ops == 0 || s.dirs[0].shut && s.dirs[1].shut && s.ops == 0 {
		l.close(s)
	}
}

// unstall arms again the receives that ran out of buffers, once an
// eighth of the buffers are back with the kernel.
func (l *loop) unstall() {
	if len(l.stalled) == 0 || l.held > l.r.bufCount*7/8 {
		return
	}
	for _, s := range l.stalled {
		for side := range s.dirs {
			if s.dirs[side].stalled {
				s.dirs[side].stalled = false
				l.resume(s, side)
			}
		}
	}
	l.stalled = l.stalled[:0]
}

// kill ends a failed session: shutting both sockets down ends their
// receives; the descriptors are closed once nothing is in flight.
func (l *loop) kill(s *session) {
	if !s.dead {
		s.dead = true
		unix.Shutdown(s.fds[0], unix.SHUT_RDWR)
		unix.Shutdown(s.fds[1], unix.SHUT_RDWR)
	}
	for side := range s.dirs {
		d := &s.dirs[side]
		keep := 0
		if d.sending {
			keep = 1 // the kernel still reads it
		}
		for _, c := range d.queue[keep:] {
			l.r.putBuf(c.bid)
			l.held--
		}
		d.queue = d.queue[:keep]
	}
}

func (l *loop) close(s *session) {
	for side := range s.dirs {
		for _, c := range s.dirs[side].queue {
			l.r.putBuf(c.bid)
			l.held--
		}
		s.dirs[side].queue = nil
	}
	unix.Close(s.fds[0])
	unix.Close(s.fds[1])
	l.sessions[s.slot] = nil
	l.free = append(l.free, s.slot)
}
