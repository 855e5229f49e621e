package proxy

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"syscall"
	"time"

	"github.com/straitproxy/strait/internal/accesslog"
	"github.com/straitproxy/strait/internal/errlog"
	"github.com/straitproxy/strait/internal/upstream"
)

// A UDP session follows ngx_stream_proxy_module's datagram paths: the
// client's first datagram starts it, later datagrams from the same
// address and port join it, and every datagram is relayed as one
// datagram through a connected socket of the session's own to one peer.
// It ends when proxy_responses datagrams per client datagram have come
// back ("udp done"), when it was idle for proxy_timeout ("udp timed out",
// or "upstream timed out" and status 502 when responses were expected
// and did not all come), or when the listening socket closes.

// DatagramSession is one UDP session handed to Handler.ServeUDP. The
// server owns the listening socket; the session reaches the client only
// through Reply.
type DatagramSession struct {
	*Session // Client is nil; Log, ClientText, ServerText and Record as for TCP
	// First is the datagram that started the session, whole: like nginx,
	// strait sends it upstream even when it is longer than
	// proxy_buffer_size, which truncates the later ones.
	First []byte
	// In carries the client's later datagrams. The server drops a
	// datagram when the session is not ready for it, as nginx does.
	In <-chan []byte
	// Reply sends one datagram to the client.
	Reply func(b []byte) error
	// Detach is called once the session has taken proxy_requests
	// datagrams: the server sends the client's next datagrams to a new
	// session.
	Detach func()
	// Closed is closed when the listening socket closes (a stop, or a
	// reload without its listen): the session cannot answer any more.
	Closed <-chan struct{}
}

// UDP log actions, as nginx words them.
const (
	actionReadingUpstream = "proxying and reading from upstream"
	actionSendingUpstream = "proxying and sending to upstream"
	actionSendingClient   = "proxying and sending to client"
)

// ServeUDP proxies one UDP session and fills ds.Record. It returns when
// the session has ended; the caller then writes the access log.
func (h *Handler) ServeUDP(ctx context.Context, ds *DatagramSession) {
	rec := ds.Record
	up, ok := h.connectUDP(ctx, ds)
	if !ok {
		switch {
		case rec.Status != 0:
		case ctx.Err() != nil:
			rec.Status = 200
		default:
			rec.Status = 502
		}
		return
	}
	if ds.Log.Enabled(ctx, slog.LevelInfo) {
		ds.Log.Info("udp proxy " + udpLocalText(up.conn) + " connected to " + up.peer.Addr)
	}
	f := newUDPFlow(h, ds, up)
	f.run(ctx)
	up.conn.Close()
	<-f.readerDone
	att := &rec.Attempts[len(rec.Attempts)-1]
	att.BytesSent, att.BytesReceived = f.toUpstream, f.fromUpstream
	if f.firstByte > 0 {
		att.GotFirstByte, att.FirstByteTime = true, f.firstByte
	}
	att.SessionTime = h.now().Sub(up.start)
	up.sel.Release(up.peer, f.peerFailed)
	if f.pendingEmpty {
		// The empty datagram standing for an ICMP error that ended the
		// session goes out once the peer's failure is counted, so that
		// the client's next session already avoids the peer, as it
		// would with nginx, which does both before reading again.
		f.replyEmpty()
	}
	rec.BytesSent = f.toClient
	rec.Status = f.status
}

// udpUpstream is the connected socket of a session's peer.
type udpUpstream struct {
	conn  udpConn
	rc    syscall.RawConn // conn's, for the flow's reads and writes
	peer  *upstream.Peer
	sel   *upstream.Selection
	start time.Time
}

// connectUDP picks a peer and connects a UDP socket to it. A UDP
// connect() sends nothing, so it fails only locally (no route, no
// descriptor) and proxy_connect_timeout has nothing to bound, as in
// nginx; a peer that is down shows later, as an ICMP error on a read or
// as missing responses.
func (h *Handler) connectUDP(ctx context.Context, ds *DatagramSession) (*udpUpstream, bool) {
	rec := ds.Record
	sel := h.Group.NewSelection()
	if h.HashKey != nil {
		// The record already has the client's address: the server fills
		// it from the first datagram before the session's phases run.
		sel.SetKey(h.HashKey.Append(nil, rec))
	}
	sel.LimitTries(h.Proxy.NextUpstreamTries)
	local, _ := h.localAddr(ds.Session).(*net.TCPAddr)
	start := h.now()
	attrs := func(peer string) []any {
		return append(ds.ClientAttrs(), "action", actionConnecting, "upstream", peer)
	}
	for {
		peer, err := sel.Next()
		if err != nil {
			if errors.Is(err, upstream.ErrNoLiveUpstreams) {
				ds.Log.Error("no live upstreams", attrs(h.Group.Name())...)
				rec.UpstreamGroup = h.Group.Name()
			}
			return nil, false
		}
		t0 := h.now()
		att := accesslog.Attempt{Addr: peer.Addr}
		conn, rc, err := h.dialUDP(ctx, peer.Addr, local)
		if err == nil {
			sel.Connected(peer)
			att.Connected, att.ConnectTime = true, h.now().Sub(t0)
			rec.Attempts = append(rec.Attempts, att)
			return &udpUpstream{conn: conn, rc: rc, peer: peer, sel: sel, start: t0}, true
		}
		rec.Attempts = append(rec.Attempts, att)
		if ctx.Err() != nil {
			sel.Release(peer, false)
			return nil, false
		}
		if isLocalFailure(StageConnect, err) {
			ds.Log.Log(ctx, errlog.LevelAlert, attemptErrorText(peer.Addr, StageConnect, err), attrs(peer.Addr)...)
			sel.Release(peer, false)
			rec.Status = 500
			return nil, false
		}
		ds.Log.Error(attemptErrorText(peer.Addr, StageConnect, err), attrs(peer.Addr)...)
		sel.Release(peer, true)
		if h.OnAttemptFailed != nil {
			h.OnAttemptFailed(peer, StageConnect, err)
		}
		if !h.Proxy.NextUpstream || sel.Tries() == 0 ||
			h.Proxy.NextUpstreamTimeout > 0 && h.now().Sub(start) >= h.Proxy.NextUpstreamTimeout {
			return nil, false
		}
	}
}

// udpCounts formats nginx's "packets from/to client:R/S, bytes from/to
// client:R/S, bytes from/to upstream:R/S" of "udp done" and "udp timed
// out", lines nginx prints without the session context.
func (f *udpFlow) udpCounts() string {
	return ", packets from/to client:" + strconv.Itoa(f.requests) + "/" + strconv.Itoa(f.responses) +
		", bytes from/to client:" + formatRS(f.ds.Record.BytesReceived, f.toClient) +
		", bytes from/to upstream:" + formatRS(f.fromUpstream, f.toUpstream)
}
