package proxy

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// udpFlow is one UDP session's relay, nginx's ngx_stream_proxy_process
// and ngx_stream_proxy_test_finalize for SOCK_DGRAM. One goroutine (run)
// relays the client's datagrams and watches the idle timer; a second
// (read) reads the peer's datagrams and relays each to the client itself.
// Both work on the counters and decide the session's end under mu:
// relaying from the reading goroutine, rather than handing each answer
// to run and waiting for it, saves two goroutine wake-ups per answer.
// When an answer completes the session, the session leaves the server's
// table before the answer is relayed, so that the client's next
// datagram, sent on receipt, starts a new session, as in nginx, which
// finalizes the session before it reads again.
type udpFlow struct {
	h  *Handler
	ds *DatagramSession
	up *udpUpstream

	// requests and responses are nginx's u->requests and u->responses:
	// datagrams from the client (the first one included) and from the
	// peer (an ICMP error counts as one: nginx relays it as an empty
	// datagram).
	requests, responses      int
	toUpstream, fromUpstream int64
	toClient                 int64
	firstByte                time.Duration
	peerFailed               bool // an ICMP error, a failed send or a timeout without the responses
	status                   int
	detached                 bool
	pendingEmpty             bool      // an ICMP error's empty datagram is still to be relayed
	uploadDelay              time.Time // proxy_upload_rate: client datagrams are dropped until then

	// mu guards everything above and below but the channels: run and
	// read both relay and count.
	mu        sync.Mutex
	ended     bool      // the session's end is decided; closes end
	lastEvent time.Time // the last datagram relayed either way, for proxy_timeout

	end        chan struct{} // closed by whichever goroutine ends the session
	stop       chan struct{} // closed when run returns
	readerDone chan struct{}
}

// udpEvent is one datagram read from the peer, to relay.
type udpEvent struct {
	b       []byte
	readErr error // the read failed (an ICMP error): the peer is not read again
	at      time.Time
}

func newUDPFlow(h *Handler, ds *DatagramSession, up *udpUpstream) *udpFlow {
	return &udpFlow{
		h: h, ds: ds, up: up, requests: 1,
		end: make(chan struct{}), stop: make(chan struct{}), readerDone: make(chan struct{}),
	}
}

func (f *udpFlow) bufferSize() int {
	if n := f.h.Proxy.BufferSize; n > 0 {
		return n
	}
	return 16 << 10
}

// run relays the client's datagrams and ends the session.
func (f *udpFlow) run(ctx context.Context) {
	defer close(f.stop)
	first := f.ds.First
	if f.h.Proxy.ProxyProtocol {
		// nginx sends the header in the same datagram as the first
		// client datagram ("PROXY TCP4 ..." even over UDP), and only
		// there.
		hdr := AppendProxyV1(make([]byte, 0, proxyV1MaxHeader+len(first)), f.ds.clientAddr(), f.ds.Record.ServerAddr)
		first = append(hdr, first...)
	}
	// The reader waits for mu until the first datagram is counted.
	f.mu.Lock()
	go f.read()
	f.lastEvent = f.h.now()
	if !f.sendUpstream(first) || f.finished() {
		f.endLocked()
		f.mu.Unlock()
		return
	}
	f.mu.Unlock()
	idle := time.NewTimer(f.h.Proxy.Timeout)
	defer idle.Stop()
	in := f.ds.In
	for {
		select {
		case b, ok := <-in:
			if !ok {
				in = nil
				continue
			}
			f.mu.Lock()
			if !f.ended && !f.fromClient(b) {
				f.endLocked()
			}
			if f.detached {
				in = nil
			}
			f.mu.Unlock()
		case <-f.end:
			return
		case <-idle.C:
			f.mu.Lock()
			if f.ended {
				f.mu.Unlock()
				return
			}
			if left := f.h.Proxy.Timeout - f.h.now().Sub(f.lastEvent); left > 0 {
				f.mu.Unlock()
				idle.Reset(left)
				continue
			}
			f.timedOut()
			f.endLocked()
			f.mu.Unlock()
			return
		case <-f.ds.Closed:
			f.endWith(func() {
				f.ds.Log.Info("disconnected on shutdown")
				f.status = 200
			})
			return
		case <-ctx.Done():
			f.endWith(func() {
				if errors.Is(context.Cause(ctx), ErrShutdownTimeout) {
					f.ds.Log.Info("disconnected on shutdown")
				}
				f.status = 200
			})
			return
		}
	}
}

// fromClient relays one of the client's later datagrams; false ends the
// session. f.mu is held.
func (f *udpFlow) fromClient(b []byte) bool {
	if f.dropForRate() {
		return true // nginx drops what arrives while reading is delayed
	}
	f.requests++
	if len(b) > f.bufferSize() {
		b = b[:f.bufferSize()] // nginx's recv into proxy_buffer_size
	}
	f.ds.Record.BytesReceived += int64(len(b))
	f.delayUpload(len(b))
	if !f.sendUpstream(b) {
		return false
	}
	return f.settled()
}

// settled is what follows every relayed datagram: the end once the
// session is finished, else the pending empty datagram of an ICMP error
// and a fresh idle period. f.mu is held; false ends the session.
func (f *udpFlow) settled() bool {
	if f.finished() {
		return false
	}
	if f.pendingEmpty {
		f.replyEmpty()
	}
	f.lastEvent = f.h.now()
	return true
}

// endLocked decides the session's end; run returns and the reader stops.
// f.mu is held.
func (f *udpFlow) endLocked() {
	if !f.ended {
		f.ended = true
		close(f.end)
	}
}

// endWith ends the session with last's outcome unless it has ended.
func (f *udpFlow) endWith(last func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.ended {
		last()
		f.endLocked()
	}
}

// finished is ngx_stream_proxy_test_finalize for UDP: once proxy_requests
// datagrams came the session takes no more, and once the responses
// expected for every datagram came it is done.
func (f *udpFlow) finished() bool {
	p := f.h.Proxy
	if p.Requests > 0 {
		if f.requests < p.Requests {
			return false
		}
		if !f.detached {
			f.detached = true
			f.ds.Detach()
		}
	}
	if p.Responses < 0 || f.responses < p.Responses*f.requests {
		return false
	}
	f.ds.Log.Info("udp done" + f.udpCounts())
	f.status = 200
	return true
}

// timedOut ends a session idle for proxy_timeout: normally when every
// expected response came (or none is expected), else as a failure of the
// peer with 502.
func (f *udpFlow) timedOut() {
	p := f.h.Proxy
	if p.Responses < 0 || f.responses >= p.Responses*f.requests {
		f.ds.Log.Info("udp timed out" + f.udpCounts())
		f.status = 200
		return
	}
	f.ds.Log.Error(timedOutText("upstream"), f.attrs(actionProxying)...)
	f.peerFailed = true
	f.status = 502
}

// took counts a datagram relayed from the peer; false ends the session.
func (f *udpFlow) took(ev udpEvent) bool {
	if f.firstByte == 0 {
		f.firstByte = max(ev.at.Sub(f.up.start), time.Nanosecond)
	}
	f.responses++
	f.fromUpstream += int64(len(ev.b))
	if ev.readErr != nil {
		f.ds.Log.Error("recv() failed "+errnoOr(ev.readErr), f.attrs(actionReadingUpstream)...)
		f.peerFailed, f.pendingEmpty = true, true
		return true
	}
	if f.complete() && !f.detached {
		f.detached = true
		f.ds.Detach()
	}
	if err := f.ds.Reply(ev.b); err != nil {
		if !errors.Is(err, net.ErrClosed) {
			f.ds.Log.Error("sendmsg() failed "+errnoOr(err), f.attrs(actionSendingClient)...)
		}
		f.status = 200
		return false
	}
	f.toClient += int64(len(ev.b))
	return true
}

// complete reports whether the responses finished will look for have
// come (and proxy_requests, when set, has been reached).
func (f *udpFlow) complete() bool {
	p := f.h.Proxy
	return (p.Requests == 0 || f.requests >= p.Requests) &&
		p.Responses >= 0 && f.responses >= p.Responses*f.requests
}

// sendUpstream writes one datagram to the peer. A failure (an ICMP error
// left by an earlier datagram) ends the session with status 200 and
// counts against the peer, as nginx finalizes it.
func (f *udpFlow) sendUpstream(b []byte) bool {
	n, err := f.up.conn.Write(b)
	f.toUpstream += int64(n)
	if err != nil {
		f.ds.Log.Error("sendmsg() failed "+errnoOr(err), f.attrs(actionSendingUpstream)...)
		f.peerFailed = true
		f.status = 200
		return false
	}
	return true
}

// attrs is the context nginx gives a UDP session's error lines.
func (f *udpFlow) attrs(action string) []any {
	return append(f.ds.ClientAttrs(), "action", action, "upstream", f.up.peer.Addr,
		"bytes_client", formatRS(f.ds.Record.BytesReceived, f.toClient),
		"bytes_upstream", formatRS(f.fromUpstream, f.toUpstream))
}

func errnoOr(err error) string {
	if e := Errno(err); e != "" {
		return e
	}
	return "(" + err.Error() + ")"
}

// read relays the peer's datagrams to the client until the socket is
// closed or a read fails. It borrows a proxy_buffer_size buffer only
// while a datagram is there to read, so an idle session holds none; a
// longer datagram is truncated to the buffer, as nginx's recv() does.
func (f *udpFlow) read() {
	defer close(f.readerDone)
	rc, err := f.up.conn.SyscallConn()
	if err != nil {
		return
	}
	size := f.bufferSize()
	var received int64
	for {
		if !f.waitDownloadRate(received) {
			return
		}
		var n int
		var rerr error
		err := rc.Read(func(fd uintptr) bool {
			bp := f.getBuf(size)
			defer f.putBuf(bp)
			for {
				n, rerr = syscall.Read(int(fd), *bp)
				if rerr != syscall.EINTR {
					break
				}
			}
			if rerr == syscall.EAGAIN {
				return false
			}
			if rerr != nil {
				n = 0
				return true
			}
			rerr = nil
			// Relayed from inside the callback: the buffer is free
			// again as soon as the datagram is sent.
			f.report(udpEvent{b: (*bp)[:n], at: f.h.now()})
			return true
		})
		if err != nil {
			return // closed: the session is over
		}
		if rerr != nil {
			// nginx relays a failed read (an ICMP port unreachable
			// shows as ECONNREFUSED) as an empty datagram and stops
			// reading the peer; run sends it (replyEmpty).
			f.report(udpEvent{readErr: os.NewSyscallError("recv", rerr), at: f.h.now()})
			return
		}
		received += int64(n)
		f.delayDownload(n)
	}
}

// report relays a datagram from the peer (or its read error) unless the
// session has ended.
func (f *udpFlow) report(ev udpEvent) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ended {
		return
	}
	if !f.took(ev) || !f.settled() {
		f.endLocked()
	}
}

// replyEmpty relays an ICMP error to the client as nginx does, as an
// empty datagram.
func (f *udpFlow) replyEmpty() {
	f.pendingEmpty = false
	if err := f.ds.Reply(nil); err != nil && !errors.Is(err, net.ErrClosed) {
		f.ds.Log.Error("sendmsg() failed "+errnoOr(err), f.attrs(actionSendingClient)...)
	}
}
