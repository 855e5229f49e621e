package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"syscall"
	"time"
)

// pipeResult is what piping produced, for the access and error logs.
type pipeResult struct {
	fromClient, toClient, fromUpstream, toUpstream int64
	firstByte                                      time.Duration // 0 when the upstream sent nothing
	upstreamFirst                                  bool          // the upstream side ended the session
	timedOut                                       bool          // proxy_timeout expired
	failures                                       []flowFailure // I/O errors that ended a flow
}

// flow is one direction of a session: client->upstream or back.
type flow struct {
	src, dst net.Conn
	// srcSocket is set when src is a plain socket, whose readiness can be
	// awaited without holding a buffer.
	srcSocket bool
	// rawSrc is set when the flow copies inside its source socket's read
	// callbacks (rawcopy_linux.go); sock reads that socket's descriptor
	// there, and tlsSrc is the TLS connection over it, if any.
	rawSrc     syscall.RawConn
	sock       *socketReader
	tlsSrc     *tls.Conn
	limiter    flowLimiter // nil: unlimited
	trackFirst bool        // record when the first byte arrives
	fromUp     bool

	read, written int64
	firstByte     time.Time
	err           error // nil when src ended with a clean EOF
	writeErr      bool  // err came from writing to dst
	ended         int32 // with err set: 1 if this flow failed first, 2 if second
}

// pipeState is shared by the two flows of a session.
type pipeState struct {
	client, upConn, upRaw net.Conn
	halfClose             bool
	spliced               bool // both plain TCP: the kernel moves the bytes
	buffers               *BufferPool
	bufSize               int
	pipes                 *PipePool

	timeout  time.Duration
	base     time.Time
	last     atomic.Int64 // monotonic nanoseconds since base of the last activity
	timer    *time.Timer
	timedOut atomic.Bool
	ending   atomic.Bool
	first    atomic.Int32 // 1: client side ended first, 2: upstream side
	ends     atomic.Int32 // flows that ended with an error

	// ctx bounds rate-limit waits; cancel is nil without rate limits.
	ctx    context.Context
	cancel context.CancelFunc
}

// What Engine.onEngine did with a session.
const (
	engineNo    = iota // not taken: the goroutine engine carries it
	engineDone         // carried to its end
	engineAsync        // taken; the loops call the session's finish when it ends
)

// pastDeadline interrupts blocked reads at once.
var pastDeadline = time.Unix(1, 0)

// pipe copies bytes both ways until the session ends, then calls then
// with the outcome. The calling goroutine carries client->upstream; one
// more goroutine carries the other way. With done set, a session the
// event loops take goes on without the calling goroutine: pipe returns
// true at once, and then and done run later on another goroutine.
// Otherwise then has run when pipe returns false, and done is not called.
func (h *Handler) pipe(ctx context.Context, s *Session, up *upstreamConn, then func(pipeResult), done func()) bool {
	p := &pipeState{
		client: s.Client, upConn: up.conn, upRaw: up.raw,
		halfClose: h.Proxy.HalfClose, buffers: h.Buffers,
		timeout: h.Proxy.Timeout, base: time.Now(), ctx: context.Background(),
	}
	p.bufSize = h.Proxy.BufferSize
	if p.pipes = h.Pipes; p.pipes == nil {
		// A pool of the session's own, which keeps no idle pipe.
		p.pipes = NewPipePool(0, nil)
	}
	if p.buffers != nil {
		p.bufSize = p.buffers.Size()
	}
	if p.bufSize <= 0 {
		p.bufSize = 16 << 10
	}
	// A TLS client (listen ... ssl) is no plain socket: crypto/tls may
	// hold decrypted bytes that socket readiness would not show.
	_, clientTLS := s.Client.(*tls.Conn)
	upFlow := &flow{src: s.Client, dst: up.conn, srcSocket: !clientTLS}
	downFlow := &flow{src: up.conn, dst: s.Client, srcSocket: up.conn == up.raw, trackFirst: true, fromUp: true}
	upFlow.setDirect()
	downFlow.setDirect()
	start := s.Record.Start
	if start.IsZero() {
		start = h.now()
	}
	if rate := h.rate(s, up.peer.Addr, h.Proxy.UploadRate, h.UploadRate); rate > 0 {
		l := newRateLimiter(rate, start, h.now)
		l.account(len(s.Preread))
		upFlow.limiter = l
	}
	if rate := h.rate(s, up.peer.Addr, h.Proxy.DownloadRate, h.DownloadRate); rate > 0 {
		downFlow.limiter = newRateLimiter(rate, start, h.now)
	}
	if upFlow.limiter != nil || downFlow.limiter != nil {
		p.ctx, p.cancel = context.WithCancel(context.Background())
	}
	_, clientTCP := s.Client.(*net.TCPConn)
	_, upTCP := up.conn.(*net.TCPConn)
	p.spliced = canSplice && clientTCP && upTCP && p.cancel == nil

	prereadOK := true
	if len(s.Preread) > 0 {
		n, err := up.conn.Write(s.Preread)
		upFlow.read, upFlow.written = int64(len(s.Preread)), int64(n)
		if err != nil {
			upFlow.err, upFlow.writeErr, prereadOK = err, true, false
		}
	}
	var later func()
	if done != nil {
		later = func() {
			then(p.result(up, upFlow, downFlow))
			done()
		}
	}
	if prereadOK && p.cancel == nil {
		switch h.Engine.onEngine(ctx, p, upFlow, downFlow, later) {
		case engineAsync:
			return true
		case engineDone:
			then(p.result(up, upFlow, downFlow))
			return false
		}
	}
	p.startIdleTimer()
	downDone := make(chan struct{})
	go func() {
		defer close(downDone)
		p.run(downFlow, upFlow)
	}()
	if prereadOK {
		p.run(upFlow, downFlow)
	} else {
		p.finish(upFlow, downFlow)
	}
	<-downDone
	then(p.result(up, upFlow, downFlow))
	return false
}

// result closes the upstream once both flows have ended and sums up the
// session for the logs.
func (p *pipeState) result(up *upstreamConn, upFlow, downFlow *flow) pipeResult {
	if p.timer != nil {
		p.timer.Stop()
	}
	if p.cancel != nil {
		p.cancel()
	}
	if p.timedOut.Load() || p.ending.Load() && (upFlow.err != nil || downFlow.err != nil) {
		// Don't let a TLS close_notify wait on a peer that stopped reading.
		up.raw.Close()
	}
	up.conn.Close()

	res := pipeResult{
		fromClient: upFlow.read, toUpstream: upFlow.written,
		fromUpstream: downFlow.read, toClient: downFlow.written,
		upstreamFirst: p.first.Load() == 2, timedOut: p.timedOut.Load(),
	}
	if !downFlow.firstByte.IsZero() {
		res.firstByte = max(downFlow.firstByte.Sub(up.start), time.Nanosecond)
	}
	_, upTLS := up.conn.(*tls.Conn)
	res.failures = p.failures(upTLS, upFlow, downFlow)
	return res
}

func (p *pipeState) run(f, other *flow) {
	if p.spliced {
		p.copySpliced(f)
	} else {
		p.copyBuffered(f)
	}
	p.finish(f, other)
}

// finish handles the end of flow f. With proxy_half_close a clean EOF is
// passed on and the other flow keeps going; otherwise the other flow is
// stopped once it has written what it already read.
func (p *pipeState) finish(f, other *flow) {
	side := int32(1)
	if f.fromUp {
		side = 2
	}
	p.first.CompareAndSwap(0, side)
	if f.err != nil {
		f.ended = p.ends.Add(1)
	}
	if f.err == nil && p.halfClose && !p.ending.Load() {
		closeWrite(f.dst)
		return
	}
	p.ending.Store(true)
	other.src.SetReadDeadline(pastDeadline)
	if p.cancel != nil {
		p.cancel()
	}
}

// copyBuffered copies through pooled proxy_buffer_size buffers. For a
// socket source the buffer is taken only once data is ready and given back
// as soon as the socket is drained, so idle sessions hold none.
func (p *pipeState) copyBuffered(f *flow) {
	if f.rawSrc != nil {
		p.copyDirect(f)
		return
	}
	for {
		if f.srcSocket {
			if err := waitReadable(f.src); err != nil {
				f.err = err
				return
			}
		}
		bp := p.getBuf()
		more := p.copyChunks(f, *bp)
		p.putBuf(bp)
		if !more {
			return
		}
	}
}

// copyChunks reads and writes until src is drained (more is true: wait for
// readiness again) or the flow ends (more is false).
func (p *pipeState) copyChunks(f *flow, buf []byte) (more bool) {
	for {
		nr, er := f.src.Read(buf)
		if nr > 0 && !p.deliver(f, buf[:nr]) {
			return false
		}
		if er != nil {
			if !errors.Is(er, io.EOF) {
				f.err = er
			}
			return false
		}
		if f.srcSocket && nr < len(buf) {
			return true
		}
	}
}

// deliver accounts for b, read from f's source, and writes it to the
// destination; false means the flow ended.
func (p *pipeState) deliver(f *flow, b []byte) bool {
	p.touch()
	if f.trackFirst && f.firstByte.IsZero() {
		f.firstByte = time.Now()
	}
	f.read += int64(len(b))
	for len(b) > 0 {
		n := len(b)
		if f.limiter != nil {
			var err error
			if n, err = f.limiter.Take(p.ctx, n); err != nil {
				f.err = err
				return false
			}
		}
		nw, ew := f.dst.Write(b[:n])
		f.written += int64(nw)
		p.touch()
		if ew != nil {
			f.err, f.writeErr = ew, true
			return false
		}
		b = b[n:]
	}
	return true
}

func (p *pipeState) getBuf() *[]byte {
	if p.buffers != nil {
		return p.buffers.get()
	}
	b := make([]byte, p.bufSize)
	return &b
}

func (p *pipeState) putBuf(b *[]byte) {
	if p.buffers != nil {
		p.buffers.put(b)
	}
}

type closeWriter interface{ CloseWrite() error }

// closeWrite passes an EOF on. On a TLS connection CloseWrite only sends
// close_notify; the FIN needs the socket's CloseWrite as well.
func closeWrite(c net.Conn) {
	if tc, ok := c.(*tls.Conn); ok {
		tc.CloseWrite()
		c = tc.NetConn()
	}
	if cw, ok := c.(closeWriter); ok {
		cw.CloseWrite()
	}
}
