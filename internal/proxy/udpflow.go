package proxy

import (
	"context"
	"errors"
	"net"
	"os"
	"syscall"
	"time"
)

// udpFlow is one UDP session's relay, nginx's ngx_stream_proxy_process
// and ngx_stream_proxy_test_finalize for SOCK_DGRAM. One goroutine (run)
// owns the counters, the session's end and every send; a second (read)
// reads the peer's datagrams and hands each one to run, which relays it
// to the client. When an answer completes the session, run takes the
// session out of the server's table before relaying it, so that the
// client's next datagram, sent on receipt, starts a new session, as in
// nginx, which finalizes the session before it reads again.
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

	events     chan udpEvent // from read to run
	ack        chan struct{} // run is done with an event's datagram
	stop       chan struct{} // closed when run returns
	readerDone chan struct{}
}

// udpEvent is one datagram read from the peer, for run to relay.
type udpEvent struct {
	b       []byte // valid until run acknowledges it on ack
	readErr error  // the read failed (an ICMP error): the peer is not read again
	at      time.Time
}

func newUDPFlow(h *Handler, ds *DatagramSession, up *udpUpstream) *udpFlow {
	return &udpFlow{
		h: h, ds: ds, up: up, requests: 1,
		events: make(chan udpEvent), ack: make(chan struct{}), stop: make(chan struct{}), readerDone: make(chan struct{}),
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
	go f.read()
	first := f.ds.First
	if f.h.Proxy.ProxyProtocol {
		// nginx sends the header in the same datagram as the first
		// client datagram ("PROXY TCP4 ..." even over UDP), and only
		// there.
		hdr := AppendProxyV1(make([]byte, 0, proxyV1MaxHeader+len(first)), f.ds.clientAddr(), f.ds.Record.ServerAddr)
		first = append(hdr, first...)
	}
	if !f.sendUpstream(first) || f.finished() {
		return
	}
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
			if f.dropForRate() {
				continue // nginx drops what arrives while reading is delayed
			}
			f.requests++
			if len(b) > f.bufferSize() {
				b = b[:f.bufferSize()] // nginx's recv into proxy_buffer_size
			}
			f.ds.Record.BytesReceived += int64(len(b))
			f.delayUpload(len(b))
			if !f.sendUpstream(b) {
				return
			}
		case ev := <-f.events:
			ok := f.took(ev)
			f.ack <- struct{}{}
			if !ok {
				return
			}
		case <-idle.C:
			f.timedOut()
			return
		case <-f.ds.Closed:
			f.ds.Log.Info("disconnected on shutdown")
			f.status = 200
			return
		case <-ctx.Done():
			if errors.Is(context.Cause(ctx), ErrShutdownTimeout) {
				f.ds.Log.Info("disconnected on shutdown")
			}
			f.status = 200
			return
		}
		if f.detached {
			in = nil
		}
		if f.finished() {
			return
		}
		if f.pendingEmpty {
			f.replyEmpty()
		}
		idle.Reset(f.h.Proxy.Timeout)
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
	var n int
	var werr error
	err := f.up.rc.Write(func(fd uintptr) bool {
		n, werr = sendDatagram(int(fd), b)
		return werr != syscall.EAGAIN
	})
	if err == nil && werr != nil {
		err = os.NewSyscallError("write", werr)
	}
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
	rc := f.up.rc
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
			n, rerr = recvDatagram(int(fd), *bp)
			if rerr == syscall.EAGAIN {
				return false
			}
			if rerr != nil {
				n = 0
				return true
			}
			rerr = nil
			// Handed over from inside the callback: the buffer is
			// free again as soon as run has relayed the datagram.
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

// report hands ev to run and waits until run is done with it.
func (f *udpFlow) report(ev udpEvent) {
	select {
	case f.events <- ev:
		<-f.ack
	case <-f.stop:
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
