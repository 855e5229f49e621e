package proxy

import (
	"os"
	"runtime"
	"sync"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Engine carries plain sessions' bytes on a few event loops, one per
// processor, each with an epoll instance of its own, instead of two
// goroutines per session parked in the runtime's poller.
//
// Why: under request load 70-77% of a proxy's CPU here is kernel time, so
// the system calls and wake-ups per message decide throughput. A
// goroutine per flow costs, per message, a read, a write and a probing
// read that says EAGAIN (the runtime's poller does not say whether
// EPOLLRDHUP fired, so a short read does not prove the socket drained),
// plus a netpoll -> goroutine -> thread wake-up. A loop that owns its
// sockets' readiness reads as nginx does: one read per message, another
// only when the read filled the buffer or epoll reported EPOLLRDHUP (a FIN
// queued behind the data), and serves every ready socket of one
// epoll_wait without handing each message to a goroutine.
//
// A session moves onto a loop once both of its sockets are connected:
// the descriptors are duplicated and the net.Conns closed, which takes
// them out of the runtime's poller (a socket registered with both would
// wake both). When the caller can finish the session from a callback, its
// goroutine then returns, so an idle session holds no stack: the loop
// hands the callback to the finishers once the session ends. A caller
// without one waits, parked, until the loop ends the session.
type Engine struct {
	loops []*loop
	next  uint32
	mu    sync.Mutex // guards next
	wg    sync.WaitGroup
	fin   finishers
}

// finishers run sessions' finish callbacks off the loops, so that a loop
// never waits on what they do (access log writes, which may block on a
// file or a full pipe). At most max goroutines run them, and they exit
// once nothing is queued: an idle engine keeps none.
type finishers struct {
	mu      sync.Mutex
	queue   []func()
	running int
	max     int
	wg      sync.WaitGroup
}

// add queues fn; it never blocks, so a loop can call it.
func (f *finishers) add(fn func()) {
	f.mu.Lock()
	f.queue = append(f.queue, fn)
	start := f.running < f.max
	if start {
		f.running++
	}
	f.mu.Unlock()
	if start {
		f.wg.Go(f.work)
	}
}

func (f *finishers) work() {
	for {
		f.mu.Lock()
		if len(f.queue) == 0 {
			f.queue = nil
			f.running--
			f.mu.Unlock()
			return
		}
		fn := f.queue[0]
		f.queue[0] = nil
		f.queue = f.queue[1:]
		f.mu.Unlock()
		fn()
	}
}

// NewEngine starts n event loops (at least one).
func NewEngine(n int) (*Engine, error) {
	e := &Engine{}
	e.fin.max = max(n, minFinishers)
	for range max(n, 1) {
		l, err := newLoop()
		if err != nil {
			e.Close()
			return nil, err
		}
		l.finishers = &e.fin
		e.loops = append(e.loops, l)
		e.wg.Go(l.run)
	}
	return e, nil
}

// minFinishers lets a few sessions finish at once even on one processor:
// one slow access log write should not hold up every other session's.
const minFinishers = 4

// Close ends the loops; sessions still on them are cut, and their
// finish callbacks have run when it returns.
func (e *Engine) Close() {
	for _, l := range e.loops {
		l.post(loopReq{kind: reqStop})
	}
	e.wg.Wait()
	e.fin.wg.Wait()
	for _, l := range e.loops {
		l.file.Close()
		unix.Close(l.efd)
	}
}

func (e *Engine) pick() *loop {
	e.mu.Lock()
	l := e.loops[e.next%uint32(len(e.loops))]
	e.next++
	e.mu.Unlock()
	return l
}

// loopReq is work handed to a loop from other goroutines.
type loopReq struct {
	kind int
	s    *esession
}

const (
	reqAdd    = iota // take a new session
	reqCancel        // end a session (its context was cancelled)
	reqIdle          // the idle timer fired: look at the last activity
	reqStop          // end every session and return
)

// loop is one event loop. Everything below mu is touched by the loop's
// goroutine only.
type loop struct {
	epfd, efd int
	file      *os.File // epfd, registered with the runtime's poller

	mu    sync.Mutex
	queue []loopReq
	woken bool // an eventfd write is pending

	finishers *finishers // the engine's: they run ended sessions' finish

	sessions []*esession // by slot; nil when free
	free     []int32
	scratch  []byte      // every read lands here first
	big      []*[]byte   // idle scratch-sized buffers (holdBuf)
	retry    []*esession // sessions with reads left over from a busy turn
	now      time.Time   // the time of the last wake-up
	stopping bool
}

// scratchSize is how much one read takes: enough for a TLS record and its
// framing, and the size at which a flow counts as bulk (see edir.read).
const scratchSize = 64 << 10

func newLoop() (*loop, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	efd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(epfd)
		return nil, os.NewSyscallError("eventfd", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: -1}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, efd, &ev); err != nil {
		unix.Close(epfd)
		unix.Close(efd)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	// Non-blocking, so that os.NewFile registers it with the runtime's
	// poller (an epoll descriptor is readable while it has events).
	if err := unix.SetNonblock(epfd, true); err != nil {
		unix.Close(epfd)
		unix.Close(efd)
		return nil, os.NewSyscallError("fcntl", err)
	}
	return &loop{epfd: epfd, efd: efd, file: os.NewFile(uintptr(epfd), "epoll"), scratch: make([]byte, scratchSize)}, nil
}

// post hands r to the loop, waking it only when it sleeps and no wake-up
// is already on its way.
func (l *loop) post(r loopReq) {
	l.mu.Lock()
	l.queue = append(l.queue, r)
	wake := !l.woken
	if wake {
		l.woken = true
	}
	l.mu.Unlock()
	if wake {
		one := uint64(1)
		unix.Write(l.efd, (*[8]byte)(unsafe.Pointer(&one))[:])
	}
}

// run serves the loop until it is stopped. The loop never blocks in
// epoll_wait: its epoll descriptor is itself registered with the
// runtime's poller, and the loop parks there, inside one RawConn.Read,
// once epoll_wait with no timeout finds nothing. A thread blocked in a
// system call instead costs more CPU than it saves in system calls: the
// runtime's sysmon retakes its processor after 20µs and exitsyscall must
// find one again (measured: 4.4-5.0 system calls per plain request
// instead of 4.9-5.0, but 1.3-1.6 times the CPU). Staying inside one Read
// keeps readiness that arrives between two waits (a new RawConn.Read
// would clear it).
//
// The loop parks only after an epoll_wait that found nothing, even when
// the one before returned fewer events than it could take and the loop
// could so know its ready list empty: events that arrived while it served
// the last batch are cheaper to take there than through a park and a
// wake-up by the runtime's poller (parking at once measured more wake-ups,
// 5.5-5.7 system calls per plain request, and more CPU).
func (l *loop) run() {
	events := make([]unix.EpollEvent, 256)
	var reqs []loopReq
	busy := false       // the last turn served events: the loop did not park
	var since time.Time // when the loop last parked or yielded
	rc, err := l.file.SyscallConn()
	if err != nil {
		panic("strait: event loop: " + err.Error())
	}
	rc.Read(func(uintptr) bool {
		for {
			l.mu.Lock()
			reqs, l.queue = l.queue, reqs[:0]
			l.mu.Unlock()
			if len(reqs) > 0 {
				l.now = time.Now()
			}
			for i := range reqs {
				l.handle(reqs[i])
				reqs[i] = loopReq{}
			}
			if l.stopping && l.live() == 0 {
				return true
			}
			n, err := epollWaitNow(l.epfd, events)
			if err != nil && err != unix.EINTR {
				panic("strait: epoll_wait: " + err.Error())
			}
			if n == 0 && len(l.retry) == 0 && len(reqs) == 0 {
				l.mu.Lock()
				idle := len(l.queue) == 0
				l.mu.Unlock()
				if idle {
					busy = false
					return false // park until the runtime's poller sees events
				}
				continue
			}
			l.now = time.Now()
			if !busy {
				since = l.now
			} else if l.now.Sub(since) >= yieldAfter {
				runtime.Gosched()
				l.now = time.Now()
				since = l.now
			}
			retry := l.retry
			l.retry = nil
			for _, s := range retry {
				s.queued = false
				if !s.ended {
					s.pump(l)
				}
			}
			for i := range n {
				ev := &events[i]
				if ev.Fd < 0 {
					l.drainWake()
					continue
				}
				if s := l.sessions[ev.Fd]; s != nil {
					s.event(l, int(ev.Pad), ev.Events)
				}
			}
			busy = true
		}
	})
}

// yieldAfter is how long a loop serves batch after batch without parking
// before it lets the goroutines that accept, connect and log run on its
// processor. Yielding after every batch instead moved the loop to another
// thread each time (runtime.Gosched queues it globally and wakes an idle
// thread: a futex wake, a futex wait and two context switches): 0.10
// futex calls per plain request where 0.02 remain, and 6% more CPU per
// request under redis-benchmark -c 50. The runtime itself preempts a
// goroutine only after 10ms.
const yieldAfter = time.Millisecond

// epollWaitNow is epoll_wait with no timeout; it never blocks, so it
// skips the scheduler hand-off of syscall.Syscall.
func epollWaitNow(epfd int, events []unix.EpollEvent) (int, error) {
	n, _, errno := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])),
		uintptr(len(events)), 0, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// drainWake consumes the eventfd's count.
func (l *loop) drainWake() {
	var b [8]byte
	unix.Read(l.efd, b[:])
	l.mu.Lock()
	l.woken = false
	l.mu.Unlock()
}

func (l *loop) live() int { return len(l.sessions) - len(l.free) }

func (l *loop) handle(r loopReq) {
	switch r.kind {
	case reqAdd:
		if l.stopping || r.s.cancelled {
			r.s.end(l, endCancel)
			return
		}
		l.add(r.s)
	case reqCancel:
		switch {
		case r.s.ended:
		case r.s.slot >= 0:
			r.s.end(l, endCancel)
		default:
			// Posted by the context's AfterFunc before the add it
			// races: the add ends the session.
			r.s.cancelled = true
		}
	case reqIdle:
		if !r.s.ended && r.s.slot >= 0 {
			r.s.checkIdle(l)
		}
	case reqStop:
		l.stopping = true
		for _, s := range l.sessions {
			if s != nil {
				s.end(l, endCancel)
			}
		}
	}
}

// add registers a session's sockets, edge-triggered: the loop reads
// until a short read (or EAGAIN) and learns from EPOLLRDHUP that a FIN
// waits behind the data, as nginx does. Registering reports data already
// queued, so nothing sent before the session moved here is missed.
func (l *loop) add(s *esession) {
	var slot int32
	if n := len(l.free); n > 0 {
		slot = l.free[n-1]
		l.free = l.free[:n-1]
	} else {
		slot = int32(len(l.sessions))
		l.sessions = append(l.sessions, nil)
	}
	l.sessions[slot] = s
	s.slot = slot
	s.last = l.now
	s.startTimer()
	for side, fd := range s.fds {
		ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET, Fd: slot, Pad: int32(side)}
		if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
			s.dirs[side].fail(s, os.NewSyscallError("epoll_ctl", err), false)
			s.end(l, endError)
			return
		}
	}
	s.pump(l)
}

// release frees a session's slot.
func (l *loop) release(s *esession) {
	if s.slot < 0 {
		return
	}
	l.sessions[s.slot] = nil
	l.free = append(l.free, s.slot)
	s.slot = -1
}

// later queues s to be pumped again after the next epoll_wait, so that
// one busy flow cannot hold the loop.
func (l *loop) later(s *esession) {
	if !s.queued {
		s.queued = true
		l.retry = append(l.retry, s)
	}
}

// holdBuf returns a buffer for n bytes that wait for room in a socket:
// a proxy_buffer_size buffer from the pool when they fit (plain reads
// never take more), else one of the loop's own scratch-sized buffers
// (decrypted TLS records, coalesced up to scratchSize).
func (l *loop) holdBuf(p *pipeState, n int) *[]byte {
	if n <= p.bufSize {
		return p.getBuf()
	}
	if k := len(l.big); k > 0 {
		b := l.big[k-1]
		l.big = l.big[:k-1]
		return b
	}
	b := make([]byte, scratchSize)
	return &b
}

// dropBuf gives back a buffer from holdBuf.
func (l *loop) dropBuf(p *pipeState, b *[]byte) {
	if len(*b) == p.bufSize {
		p.putBuf(b)
		return
	}
	if len(l.big) < maxBigBufs {
		l.big = append(l.big, b)
	}
}

// maxBigBufs bounds the scratch-sized buffers a loop keeps for reuse.
const maxBigBufs = 8
