package proxy

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Plain TCP to plain TCP moves bytes with splice(2), socket -> pipe ->
// socket, so they never enter user space. Each step runs inside a
// syscall.RawConn callback: the read from the source socket in its Read
// callback, the write to the destination in its Write callback. The pipe
// is taken inside the read callback and given back there when the source
// says EAGAIN, before the runtime poller parks the flow, so an idle session
// holds only its two sockets. When no pipe can be had (the descriptor
// budget is spent, or pipe2 fails) the flow reads into a copy buffer for
// that burst instead.
//
// As in copyDirect, nothing waits on the other socket from inside a
// callback: a callback holds a reference on its descriptor, and Close
// waits for references.

// canSplice reports whether plain sessions are spliced here.
const canSplice = true

// maxSpliceSize is how much one splice asks to move, and the pipe size
// asked for: the runtime's choice, the default pipe-max-size. A smaller
// pipe (F_SETPIPE_SZ refused) still works, with more system calls.
const maxSpliceSize = 1 << 20

// pipe is a splice pipe and how many bytes sit in it.
type pipe struct {
	r, w int
	data int
}

func newPipe() (*pipe, error) {
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return nil, os.NewSyscallError("pipe2", err)
	}
	unix.FcntlInt(uintptr(fds[0]), unix.F_SETPIPE_SZ, maxSpliceSize)
	return &pipe{r: fds[0], w: fds[1]}, nil
}

func (p *pipe) close() {
	unix.Close(p.r)
	unix.Close(p.w)
}

// splice moves up to n bytes from in to out without blocking on the pipe.
func splice(out, in, n int) (int, error) {
	for {
		m, err := unix.Splice(in, nil, out, nil, n, unix.SPLICE_F_NONBLOCK)
		if err == unix.EINTR {
			continue
		}
		return int(m), err
	}
}

// spliceFlow is the state of one spliced flow between callbacks.
type spliceFlow struct {
	p   *pipeState
	f   *flow
	dst syscall.RawConn

	pipe    *pipe   // held from the first read of a burst until the source drains
	buf     *[]byte // held instead of a pipe when none could be had
	n       int     // bytes the last read moved
	err     error   // the last read's or write's error
	started bool    // the source has been looked at once
}

// copySpliced copies f until it ends.
func (p *pipeState) copySpliced(f *flow) {
	sc, ok := f.dst.(syscall.Conn)
	if !ok || f.rawSrc == nil || f.sock == nil {
		p.copyBuffered(f)
		return
	}
	dst, err := sc.SyscallConn()
	if err != nil {
		p.copyBuffered(f)
		return
	}
	s := &spliceFlow{p: p, f: f, dst: dst}
	defer s.release()
	for {
		if p.ending.Load() {
			// The other flow ended: stop as its read deadline would.
			f.err = os.ErrDeadlineExceeded
			return
		}
		s.n, s.err = 0, nil
		if err := f.rawSrc.Read(s.fill); err != nil {
			f.err = err // a deadline or close while parked
			return
		}
		if s.buf != nil {
			// No pipe: the bytes are in the buffer.
			if s.n > 0 && !p.deliver(f, (*s.buf)[:s.n]) {
				return
			}
			if s.err != nil {
				if !errors.Is(s.err, io.EOF) {
					f.err = s.err
				}
				return
			}
			continue
		}
		if s.err != nil {
			f.err = s.err
			return
		}
		if s.n == 0 {
			return // EOF
		}
		p.touch()
		if f.trackFirst && f.firstByte.IsZero() {
			f.firstByte = time.Now()
		}
		f.read += int64(s.n)
		s.pipe.data = s.n
		if err := dst.Write(s.drain); err != nil {
			s.err = err // closed while waiting for room
		}
		p.touch()
		if s.err != nil {
			f.err, f.writeErr = s.err, true
			return
		}
	}
}

// fill runs inside the source's read callback: one splice into the pipe,
// or one read into a buffer. It returns false, to park, once the source
// has nothing to read, giving the pipe or buffer back first.
func (s *spliceFlow) fill(fd uintptr) bool {
	if !s.started {
		// The first look happens before any wait, and a session's
		// sockets usually start out empty: peek, so that a session that
		// never sends takes no pipe at all. Later looks hold the pipe of
		// the burst before, or come after the poller saw data.
		s.started = true
		if !readable(int(fd)) {
			return false
		}
	}
	if s.pipe == nil && s.buf == nil {
		if s.pipe = s.p.pipes.get(); s.pipe == nil {
			s.buf = s.p.getBuf()
		}
	}
	if s.buf != nil {
		r := s.f.sock
		r.fd, r.drained = int(fd), false
		s.n, s.err = r.read(*s.buf)
		r.fd = -1
		if s.n == 0 && errors.Is(s.err, errWouldBlock) {
			s.p.putBuf(s.buf)
			s.buf, s.err = nil, nil
			return false
		}
		return true
	}
	n, err := splice(s.pipe.w, int(fd), maxSpliceSize)
	switch {
	case err == unix.EAGAIN:
		// The pipe is empty on entry, so EAGAIN means the socket is.
		s.p.pipes.put(s.pipe)
		s.pipe = nil
		return false
	case err != nil:
		s.err = s.f.sock.opError("splice", err)
	default:
		s.n = n
	}
	return true
}

// readable reports whether the socket has data, EOF or an error to read;
// the read that follows reports which.
func readable(fd int) bool {
	var b [1]byte
	for {
		_, _, err := unix.Recvfrom(fd, b[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
		if err == unix.EINTR {
			continue
		}
		return err != unix.EAGAIN
	}
}

// drain runs inside the destination's write callback and moves the pipe's
// bytes out; false waits for room in the socket.
func (s *spliceFlow) drain(fd uintptr) bool {
	for s.pipe.data > 0 {
		n, err := splice(int(fd), s.pipe.r, s.pipe.data)
		if err == unix.EAGAIN {
			return false
		}
		if err != nil {
			s.err = &net.OpError{Op: "write", Net: s.f.dst.LocalAddr().Network(), Source: s.f.dst.LocalAddr(),
				Addr: s.f.dst.RemoteAddr(), Err: os.NewSyscallError("splice", err)}
			return true
		}
		s.pipe.data -= n
		s.f.written += int64(n)
	}
	return true
}

// release gives back what the flow still holds when it ends. A pipe
// with bytes left in it is closed, not lent again.
func (s *spliceFlow) release() {
	if s.pipe != nil {
		s.p.pipes.put(s.pipe)
		s.pipe = nil
	}
	if s.buf != nil {
		s.p.putBuf(s.buf)
		s.buf = nil
	}
}
