package proxy

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// esession is a session carried by an event loop: its two sockets and,
// only while bytes wait for room in a socket, a buffer or a pipe. Every
// field is the loop's once the session is added, until done is closed.
type esession struct {
	fds  [2]int // sideClient, sideUpstream; -1 once closed
	dirs [2]edir
	p    *pipeState // settings and the shared end state the logs read
	loop *loop
	// up is the TLS connection to the upstream and the socket under it;
	// nil for a plain upstream.
	up   *tls.Conn
	upTS *tlsSocket

	slot   int32
	queued bool // on the loop's retry list
	ended  bool
	// cancelled: a cancel came before the session was added.
	cancelled bool
	why       int // endEOF, endError, endCancel, endTimeout
	last      time.Time
	timer     *time.Timer
	// done is closed when the session ends, for a caller that waits;
	// otherwise finish is handed to the engine's finishers.
	done   chan struct{}
	finish func()
}

const (
	sideClient = iota
	sideUpstream
)

// Why a session ended.
const (
	endEOF = iota
	endError
	endCancel
	endTimeout
)

// edir is one direction: dirs[sideClient] carries client -> upstream
// (reads fds[sideClient], writes fds[sideUpstream]).
type edir struct {
	f *flow // counters and the error, as the goroutine engine keeps them

	readable bool // the source may have bytes (or EOF) to read
	rdhup    bool // the source has a FIN queued behind its data
	writable bool // the destination took everything last time
	eof      bool // the source said EOF
	done     bool // EOF passed on (or the direction failed)

	buf      *[]byte // bytes read but not yet written: (*buf)[off:end]
	off, end int
	held     error // an error that came with the last bytes, for the next read
	pipe     *pipe // splice mode: bytes sit in the pipe (pipe.data)
	bulk     bool  // a read filled the buffer: move bytes with splice
}

// readBudget bounds the reads one direction makes per turn, so one bulk
// flow cannot hold the loop from the others.
const readBudget = 16

func (s *esession) event(l *loop, side int, ev uint32) {
	if ev&(unix.EPOLLIN|unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
		d := &s.dirs[side]
		d.readable = true
		if ev&(unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
			d.rdhup = true
		}
		if side == sideUpstream && s.upTS != nil {
			s.upTS.r.drained = false
			s.upTS.r.rdhup = d.rdhup
		}
	}
	if ev&(unix.EPOLLOUT|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
		s.dirs[1-side].writable = true
	}
	s.pump(l)
}

// pump moves what can move in both directions, then ends the session if
// it is over.
func (s *esession) pump(l *loop) {
	s.last = l.now
	if s.upTS != nil && len(s.upTS.out) > 0 && s.dirs[sideClient].writable {
		// Bytes crypto/tls wrote (records, alerts) wait for room.
		if ok, err := s.upTS.flush(); err != nil {
			s.dirs[sideClient].fail(s, err, true)
			s.end(l, endError)
			return
		} else if !ok {
			s.dirs[sideClient].writable = false
		}
	}
	for side := range s.dirs {
		if !s.dirs[side].move(l, s, side) || s.ended {
			return
		}
	}
	if s.dirs[0].done && s.dirs[1].done {
		s.end(l, endEOF)
	}
}

// move runs one direction until it must wait; false means the session
// ended.
func (d *edir) move(l *loop, s *esession, side int) bool {
	if d.done {
		return true
	}
	src, dst := s.fds[side], s.fds[1-side]
	for range readBudget {
		if s.blocked(side) {
			if !d.writable || !d.flush(s, dst) {
				return !s.ended
			}
		}
		if d.eof {
			return d.passEOF(l, s, dst)
		}
		if !d.readable {
			return true
		}
		if !d.read(l, s, src) {
			return !s.ended
		}
	}
	if d.readable || s.blocked(side) && d.writable {
		l.later(s)
	}
	return true
}

func (d *edir) pending() bool {
	return d.buf != nil || d.pipe != nil && d.pipe.data > 0
}

// blocked reports whether d's destination still holds earlier bytes.
func (s *esession) blocked(side int) bool {
	d := &s.dirs[side]
	return d.pending() || side == sideClient && s.upTS != nil && len(s.upTS.out) > 0
}

// read takes one read's worth from src and writes it on at once; false
// means the direction waits (or the session ended).
func (d *edir) read(l *loop, s *esession, src int) bool {
	p := s.p
	if d.bulk && d.pipe == nil {
		d.pipe = p.pipes.get() // nil: copy through the scratch buffer instead
	}
	tlsSrc := src == s.fds[sideUpstream] && s.up != nil
	var n int
	var err error
	switch {
	case d.pipe != nil:
		n, err = splice(d.pipe.w, src, maxSpliceSize)
	case tlsSrc:
		n, err = d.readTLS(s, l.scratch[:scratchSize])
	default:
		n, err = readNonblocking(src, l.scratch[:min(p.bufSize, scratchSize)])
	}
	for err == unix.EINTR {
		if d.pipe != nil {
			n, err = splice(d.pipe.w, src, maxSpliceSize)
		} else {
			n, err = readNonblocking(src, l.scratch[:min(p.bufSize, scratchSize)])
		}
	}
	switch {
	case err == unix.EAGAIN:
		d.readable = false
		d.putPipe(p)
		return false
	case errors.Is(err, io.EOF):
		d.eof = true
		return true
	case err != nil && tlsSrc:
		d.fail(s, err, false)
		s.end(l, endError)
		return false
	case err != nil:
		call := "read"
		if d.pipe != nil {
			call = "splice"
		}
		d.fail(s, d.opError(s, "read", call, err, false), false)
		s.end(l, endError)
		return false
	case n == 0:
		d.eof = true
		d.putPipe(p)
		return true
	}
	f := d.f
	if f.trackFirst && f.firstByte.IsZero() {
		f.firstByte = l.now
	}
	f.read += int64(n)
	if d.pipe != nil {
		// A short splice does not prove the socket empty (the pipe may
		// run out of slots first): a bulk flow reads on until EAGAIN,
		// which costs little per MiB.
		d.pipe.data = n
		return d.flush(s, s.fds[1-sideOf(s, d)])
	}
	if tlsSrc {
		// readTLS said whether crypto/tls or the socket may hold more.
	} else if n == min(p.bufSize, scratchSize) {
		// A full buffer: a bulk flow, whose bytes splice moves more
		// cheaply (HAProxy's splice-auto makes the same choice).
		d.bulk = canSplice && p.spliced
	} else if !d.rdhup {
		// A short read emptied the socket; with no FIN queued behind the
		// data the next edge brings more (nginx skips this read too).
		d.readable = false
	}
	dstSide := 1 - sideOf(s, d)
	if dstSide == sideUpstream && s.up != nil {
		// crypto/tls takes it all; what the socket refuses waits in
		// the tlsSocket's out.
		m, err := s.up.Write(l.scratch[:n])
		f.written += int64(m)
		if err != nil {
			d.fail(s, err, true)
			s.end(l, endError)
			return false
		}
		if len(s.upTS.out) > 0 {
			d.writable = false
			return false
		}
		return true
	}
	m, err := writeNonblocking(s.fds[dstSide], l.scratch[:n])
	if err != nil && err != unix.EAGAIN {
		d.fail(s, d.opError(s, "write", "write", err, true), true)
		s.end(l, endError)
		return false
	}
	m = max(m, 0)
	f.written += int64(m)
	if m < n {
		// The destination is full: keep the rest until EPOLLOUT.
		d.writable = false
		d.buf = l.holdBuf(p, n-m)
		d.off, d.end = 0, copy(*d.buf, l.scratch[m:n])
		return false
	}
	return true
}

func sideOf(s *esession, d *edir) int {
	if d == &s.dirs[sideClient] {
		return sideClient
	}
	return sideUpstream
}

// flush writes pending bytes; false means dst is full (or failed).
func (d *edir) flush(s *esession, dst int) bool {
	p := s.p
	f := d.f
	if d.buf != nil {
		for d.off < d.end {
			m, err := writeNonblocking(dst, (*d.buf)[d.off:d.end])
			if err == unix.EINTR {
				continue
			}
			if err == unix.EAGAIN {
				d.writable = false
				return false
			}
			if err != nil {
				d.fail(s, d.opError(s, "write", "write", err, true), true)
				s.end(nil, endError)
				return false
			}
			d.off += m
			f.written += int64(m)
		}
		s.loop.dropBuf(p, d.buf)
		d.buf = nil
		return true
	}
	if d.pipe == nil {
		// The bytes wait in the TLS socket.
		ok, err := s.upTS.flush()
		if err != nil {
			d.fail(s, err, true)
			s.end(nil, endError)
			return false
		}
		if !ok {
			d.writable = false
		}
		return ok
	}
	for d.pipe.data > 0 {
		m, err := splice(dst, d.pipe.r, d.pipe.data)
		if err == unix.EAGAIN {
			d.writable = false
			return false
		}
		if err != nil {
			d.fail(s, d.opError(s, "write", "splice", err, true), true)
			s.end(nil, endError)
			return false
		}
		d.pipe.data -= m
		f.written += int64(m)
	}
	if !d.readable {
		d.putPipe(p)
	}
	return true
}

func (d *edir) putPipe(p *pipeState) {
	if d.pipe != nil && d.pipe.data == 0 {
		p.pipes.put(d.pipe)
		d.pipe = nil
	}
}

// passEOF handles the source's EOF once everything read was written:
// with proxy_half_close the FIN goes on and the other direction keeps
// going; otherwise the session ends, as nginx ends it.
func (d *edir) passEOF(l *loop, s *esession, dst int) bool {
	d.done = true
	p := s.p
	side := int32(1)
	if d.f.fromUp {
		side = 2
	}
	p.first.CompareAndSwap(0, side)
	if p.halfClose {
		if dst == s.fds[sideUpstream] && s.up != nil {
			// close_notify, then the FIN once it is out.
			s.up.CloseWrite()
			if len(s.upTS.out) > 0 {
				s.upTS.flush()
			}
		}
		unix.Shutdown(dst, unix.SHUT_WR)
		return true
	}
	s.end(l, endEOF)
	return false
}

// fail records a direction's error; the first failure of the session
// gets order 1, as the goroutine engine numbers them.
func (d *edir) fail(s *esession, err error, write bool) {
	f := d.f
	if f.err != nil {
		return
	}
	f.err, f.writeErr = err, write
	f.ended = s.p.ends.Add(1)
	side := int32(1)
	if f.fromUp {
		side = 2
	}
	s.p.first.CompareAndSwap(0, side)
}

// opError words a failed system call as net.Conn would.
func (d *edir) opError(s *esession, op, call string, errno error, write bool) error {
	c := d.f.src
	if write {
		c = d.f.dst
	}
	return &net.OpError{Op: op, Net: c.LocalAddr().Network(), Source: c.LocalAddr(), Addr: c.RemoteAddr(),
		Err: os.NewSyscallError(call, errno)}
}

// checkIdle ends the session if proxy_timeout has passed since the last
// activity, else sleeps for the rest. The timer is set once per session,
// never reset per message: the loop notes each turn's time instead.
func (s *esession) checkIdle(l *loop) {
	idle := l.now.Sub(s.last)
	if idle >= s.p.timeout {
		s.p.timedOut.Store(true)
		s.end(l, endTimeout)
		return
	}
	s.timer.Reset(s.p.timeout - idle)
}

// end closes the session's sockets, gives back what it holds and wakes
// its goroutine or has its finish run.
func (s *esession) end(_ *loop, why int) {
	if s.ended {
		return
	}
	s.ended, s.why = true, why
	if why != endEOF {
		s.p.ending.Store(true)
	}
	if s.timer != nil {
		s.timer.Stop()
	}
	if s.up != nil {
		if why == endEOF || why == endCancel {
			// close_notify, as crypto/tls's Close would send it;
			// best effort, the socket closes next.
			s.up.CloseWrite()
		}
		// The descriptor is closed below and its number may be reused:
		// crypto/tls must not touch it again.
		s.upTS.r.fd, s.upTS.out = -1, nil
	}
	for i := range s.dirs {
		d := &s.dirs[i]
		if d.buf != nil {
			s.loop.dropBuf(s.p, d.buf)
			d.buf = nil
		}
		if d.pipe != nil {
			s.p.pipes.put(d.pipe)
			d.pipe = nil
		}
	}
	for i, fd := range s.fds {
		if fd >= 0 {
			unix.Close(fd)
			s.fds[i] = -1
		}
	}
	s.loop.release(s)
	if s.done != nil {
		close(s.done)
		return
	}
	s.loop.finishers.add(s.finish)
	s.finish = nil
}

// readTLS decrypts what the upstream sent into buf, record after record,
// until buf is full or neither crypto/tls nor the socket holds more. Each
// socket read is one system call; a short one proves the socket empty
// (socketReader.onLoop), so the last look costs none.
func (d *edir) readTLS(s *esession, buf []byte) (int, error) {
	if d.held != nil {
		err := d.held
		d.held = nil
		return 0, err
	}
	n := 0
	for n < len(buf) {
		m, err := s.up.Read(buf[n:])
		n += m
		if errors.Is(err, errWouldBlock) {
			d.readable = false
			break
		}
		if err != nil {
			if n == 0 {
				return 0, err
			}
			d.held = err // after the bytes that came with it
			break
		}
	}
	if n == 0 {
		return 0, unix.EAGAIN
	}
	return n, nil
}
