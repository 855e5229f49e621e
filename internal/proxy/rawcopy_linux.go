package proxy

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A flow whose source is a socket (plain, or TLS over a socket) copies from
// inside a syscall.RawConn.Read callback, reading the descriptor directly:
//
//   - a plain source is read straight into the copy buffer, without the
//     readiness probe (MSG_PEEK) the portable copy needs to park without a
//     buffer;
//   - the copy buffer is taken when the callback runs and given back before
//     it parks, so an idle session holds no buffer on either side, TLS
//     included: crypto/tls keeps partial records in its own input buffer and
//     treats errWouldBlock (a temporary net.Error) as "try again later".
//
// A short read does not prove the socket drained: a FIN queued behind the
// data arrives with no further poller event, so the flow parks only after
// a read says EAGAIN, which the runtime poller re-arms for.

// socketReader reads a socket's descriptor inside a RawConn.Read callback.
type socketReader struct {
	conn    net.Conn // for error addresses
	fd      int      // valid inside a callback; -1 outside
	drained bool     // a read said EAGAIN: park
	// onLoop is set while an event loop carries the session: a short
	// read then proves the socket empty unless rdhup says a FIN is
	// queued behind the data (the loop learns it from EPOLLRDHUP).
	onLoop, rdhup bool
}

// errWouldBlock says the socket has nothing more to read now. It is a
// temporary net.Error, which crypto/tls passes up without failing the
// connection.
var errWouldBlock error = wouldBlockError{}

type wouldBlockError struct{}

func (wouldBlockError) Error() string   { return "socket drained" }
func (wouldBlockError) Timeout() bool   { return false }
func (wouldBlockError) Temporary() bool { return true }

func (r *socketReader) read(p []byte) (int, error) {
	if r.drained {
		return 0, errWouldBlock
	}
	if len(p) == 0 {
		return 0, nil
	}
	for {
		n, err := readNonblocking(r.fd, p)
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			r.drained = true
			return 0, errWouldBlock
		case err != nil:
			return 0, r.opError("read", err)
		case n == 0:
			return 0, io.EOF
		}
		if r.onLoop && n < len(p) && !r.rdhup {
			r.drained = true
		}
		return n, nil
	}
}

// opError wraps errno from syscall on the socket as net.Conn.Read would.
func (r *socketReader) opError(syscall string, errno error) error {
	return &net.OpError{Op: "read", Net: r.conn.LocalAddr().Network(),
		Source: r.conn.LocalAddr(), Addr: r.conn.RemoteAddr(), Err: os.NewSyscallError(syscall, errno)}
}

// readNonblocking is read(2) on a non-blocking descriptor. It never
// blocks, so it skips the scheduler hand-off that syscall.Syscall makes
// for calls that might.
func readNonblocking(fd int, p []byte) (int, error) {
	n, _, errno := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// tlsSocket is the connection crypto/tls runs over: the socket, read
// through the flow's socketReader while a copy callback runs.
type tlsSocket struct {
	net.Conn
	r socketReader
	// On an event loop, writes go straight to the descriptor (r.fd);
	// what the socket does not take waits in out until the loop sees
	// room. crypto/tls takes any write error as fatal, so the socket
	// must accept every write.
	onLoop bool
	out    []byte
}

func (s *tlsSocket) Write(p []byte) (int, error) {
	if !s.onLoop {
		return s.Conn.Write(p)
	}
	if s.r.fd < 0 {
		return 0, net.ErrClosed
	}
	if len(s.out) > 0 {
		s.out = append(s.out, p...)
		return len(p), nil
	}
	m := 0
	for m < len(p) {
		n, err := writeNonblocking(s.r.fd, p[m:])
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN {
			break
		}
		if err != nil {
			return m, s.writeError(err)
		}
		m += n
	}
	if m < len(p) {
		s.out = append(s.out, p[m:]...)
	}
	return len(p), nil
}

// flush writes what waits in out; false means the socket is full.
func (s *tlsSocket) flush() (bool, error) {
	for len(s.out) > 0 {
		n, err := writeNonblocking(s.r.fd, s.out)
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN {
			return false, nil
		}
		if err != nil {
			return false, s.writeError(err)
		}
		s.out = s.out[n:]
	}
	s.out = nil // an idle session holds no buffer
	return true, nil
}

func (s *tlsSocket) writeError(errno error) error {
	return &net.OpError{Op: "write", Net: s.LocalAddr().Network(), Source: s.LocalAddr(), Addr: s.RemoteAddr(),
		Err: os.NewSyscallError("write", errno)}
}

func (s *tlsSocket) Read(p []byte) (int, error) {
	if s.r.fd < 0 {
		return s.Conn.Read(p)
	}
	return s.r.read(p)
}

// CloseWrite sends the socket's FIN (after tls.Conn.CloseWrite sent
// close_notify).
func (s *tlsSocket) CloseWrite() error {
	if cw, ok := s.Conn.(closeWriter); ok {
		return cw.CloseWrite()
	}
	return nil
}

// wrapForTLS returns the connection to run the upstream TLS handshake on.
func wrapForTLS(raw net.Conn) net.Conn {
	if _, ok := raw.(syscall.Conn); !ok {
		return raw
	}
	return &tlsSocket{Conn: raw, r: socketReader{conn: raw, fd: -1}}
}

// setDirect prepares f to copy inside its source's read callbacks, when
// the source is a socket or TLS over a tlsSocket; otherwise f keeps the
// portable copy.
func (f *flow) setDirect() {
	var sock net.Conn
	switch c := f.src.(type) {
	case *tls.Conn:
		ts, ok := c.NetConn().(*tlsSocket)
		if !ok {
			return
		}
		f.tlsSrc, f.sock, sock = c, &ts.r, ts.Conn
	case syscall.Conn:
		f.sock, sock = &socketReader{conn: f.src, fd: -1}, f.src
	default:
		return
	}
	rc, err := sock.(syscall.Conn).SyscallConn()
	if err != nil {
		f.sock, f.tlsSrc = nil, nil
		return
	}
	f.rawSrc = rc
}

// readDirect reads f's source inside a callback: through crypto/tls for a
// TLS source, else straight from the descriptor.
func (f *flow) readDirect(p []byte) (int, error) {
	if f.tlsSrc != nil {
		return f.tlsSrc.Read(p)
	}
	return f.sock.read(p)
}

// copyDirect copies f until it ends. Only the read runs inside the
// socket's read callback: a callback holds a reference on the source's
// descriptor, and Close waits for references, so a callback blocked
// writing to the other side would make closing this side wait for that
// write (and two such waits, one per direction, for each other).
func (p *pipeState) copyDirect(f *flow) {
	var (
		bp *[]byte
		nr int
		er error
	)
	read := func(fd uintptr) bool {
		if bp == nil {
			bp = p.getBuf()
		}
		f.sock.fd, f.sock.drained = int(fd), false
		nr, er = f.readDirect(*bp)
		f.sock.fd = -1
		if nr == 0 && errors.Is(er, errWouldBlock) {
			// Park without a buffer; the runtime poller calls back
			// once the socket is readable.
			p.putBuf(bp)
			bp = nil
			return false
		}
		return true
	}
	defer func() {
		if bp != nil {
			p.putBuf(bp)
		}
	}()
	for {
		if p.ending.Load() {
			// The other flow ended: stop as its read deadline would.
			f.err = os.ErrDeadlineExceeded
			return
		}
		if err := f.rawSrc.Read(read); err != nil {
			f.err = err // a deadline or close while parked
			return
		}
		if nr > 0 && !p.deliver(f, (*bp)[:nr]) {
			return
		}
		if er != nil && !errors.Is(er, errWouldBlock) {
			if !errors.Is(er, io.EOF) {
				f.err = er
			}
			return
		}
	}
}

// writeNonblocking is send(2) on a non-blocking socket, without SIGPIPE.
func writeNonblocking(fd int, p []byte) (int, error) {
	n, _, errno := unix.RawSyscall6(unix.SYS_SENDTO, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)),
		unix.MSG_NOSIGNAL|unix.MSG_DONTWAIT, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}
