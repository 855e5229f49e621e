package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/straitproxy/strait/internal/accesslog"
	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/errlog"
	"github.com/straitproxy/strait/internal/upstream"
	"github.com/straitproxy/strait/internal/vars"
)

// HandshakeFunc runs the upstream TLS handshake on an established
// connection to peerAddr, bounded by ctx. It returns the TLS connection and
// what the access log shows about it; on failure the error text is logged as
// is (it carries nginx's wording) with "while SSL handshaking to upstream".
// rec is the session's record, for settings written with variables
// (proxy_ssl_name, proxy_ssl_certificate) that each attempt evaluates, as
// nginx's ngx_stream_proxy_ssl_init_connection does. An error with a
// LocalFailure method reporting true ends the session with status 500
// without blaming the peer (nginx finalizes the session when it cannot
// set up the TLS connection).
type HandshakeFunc func(ctx context.Context, conn net.Conn, peerAddr string, rec *accesslog.Session) (*tls.Conn, accesslog.UpstreamSSL, error)

// Stage names the step of an attempt that failed.
type Stage uint8

// Attempt stages reported to Handler.OnAttemptFailed.
const (
	StageConnect   Stage = iota // TCP or unix connect, PROXY header write
	StageHandshake              // TLS handshake or verification
)

// Handler proxies the sessions of one server block. It is immutable once
// built and shared by every session of a configuration snapshot.
type Handler struct {
	Group *upstream.Group
	// HashKey is the key of a group balanced by hash, evaluated for
	// each session when it first needs a peer, as nginx does; nil for
	// other methods.
	HashKey   *vars.Expr
	Proxy     config.Proxy
	NoDelay   bool          // tcp_nodelay
	Handshake HandshakeFunc // nil when proxy_ssl is off
	Buffers   *BufferPool   // proxy_buffer_size buffers; nil allocates a private pool
	Now       func() time.Time
	// Pipes lends splice pipes to plain sessions; nil gives each session
	// pipes of its own, closed as soon as they are given back.
	Pipes *PipePool
	// Dial opens upstream connections; nil uses a net.Dialer configured
	// from Proxy (bind, keepalive).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Engine carries plain sessions (no TLS, no rate limits) on event
	// loops; nil runs every session on goroutines.
	Engine *Engine
	// UploadRate and DownloadRate, when set, are proxy_upload_rate and
	// proxy_download_rate written with variables: each session evaluates
	// them as a size, and they replace Proxy's constant rates.
	UploadRate, DownloadRate *vars.Expr
	// Bind, when set, is proxy_bind written with variables: each session
	// evaluates it once, before its first attempt, and replaces
	// Proxy.Bind with the value (an empty value binds nothing).
	Bind *vars.Expr
	// OnAttemptFailed, when set, is told about every failed attempt with
	// the step that failed and its error (for per-peer counters). Attempts
	// cut by ctx are not failures and are not reported.
	OnAttemptFailed func(peer *upstream.Peer, stage Stage, err error)
}

// ErrShutdownTimeout is the cause (context.Cause) a session's context is
// cancelled with when worker_shutdown_timeout cuts the session: nginx logs
// "shutdown timeout" for it, and so does strait. A session cut for any
// other cause (a fast stop) ends without a word, as it does when an nginx
// worker exits.
var ErrShutdownTimeout = errors.New("shutdown timeout")

// Session is one accepted client connection handed to Handler.Serve.
type Session struct {
	Client net.Conn
	// Preread holds client bytes already read (past a PROXY header); they
	// are sent upstream before anything else.
	Preread []byte
	// Log is the error log with the "conn" attribute set. Lines that nginx
	// prints with context get ClientText and ServerText added.
	Log *slog.Logger
	// ClientText and ServerText are nginx's "client: 127.0.0.1" and
	// "server: 0.0.0.0:12345" values.
	ClientText, ServerText string
	// Record receives the outcome: Status, bytes, Attempts, UpstreamGroup
	// and SSL. The caller fills the rest and writes the access log.
	Record *accesslog.Session
	// UDP marks a datagram session: nginx calls its client "udp client"
	// in log lines.
	UDP bool
}

// ClientAttrs are the error log attributes naming the session's client
// and server, nginx's ", client: ..., server: ..." (", udp client: ..."
// for UDP).
func (s *Session) ClientAttrs() []any {
	key := errlog.KeyClient
	if s.UDP {
		key = errlog.KeyUDPClient
	}
	return []any{key, s.ClientText, errlog.KeyServer, s.ServerText}
}

// clientAddr is the client's address after realip: the record's when
// the caller filled it, else the connection's.
func (s *Session) clientAddr() net.Addr {
	if s.Record != nil && s.Record.RemoteAddr != nil {
		return s.Record.RemoteAddr
	}
	return s.Client.RemoteAddr()
}

// Action values of the "action" log attribute, as nginx words them.
const (
	actionConnecting = "connecting to upstream"
	actionHandshake  = "SSL handshaking to upstream"
	actionProxying   = "proxying connection"
)

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// Serve proxies s until either side is done, the idle timeout passes or ctx
// is cancelled (which cuts the session). It closes s.Client and fills
// s.Record.
func (h *Handler) Serve(ctx context.Context, s *Session) {
	h.serve(ctx, s, nil)
}

// ServeAsync is Serve for a caller that can finish the session from a
// callback. It returns true when the session goes on without the calling
// goroutine (the event loops carry it, and an idle session then holds no
// goroutine): done is called later, from another goroutine, once the
// session has ended as Serve would have returned. False means the session
// has ended already, as with Serve, and done is not called.
func (h *Handler) ServeAsync(ctx context.Context, s *Session, done func()) bool {
	return h.serve(ctx, s, done)
}

func (h *Handler) serve(ctx context.Context, s *Session, done func()) bool {
	rec := s.Record
	stop := context.AfterFunc(ctx, func() { s.Client.Close() })
	if !h.NoDelay {
		if tc, ok := s.Client.(*net.TCPConn); ok {
			tc.SetNoDelay(false)
		}
	}
	up, att, ok := h.connect(ctx, s)
	if !ok {
		switch {
		case rec.Status != 0:
			// Set by connect: 500 for a local failure.
		case ctx.Err() != nil:
			// Cut while connecting: no upstream failed. nginx's shutdown
			// timer ends such a session with status 200.
			rec.Status = 200
		default:
			rec.Status = 502
		}
		s.Client.Close()
		stop()
		return false
	}
	stopUp := context.AfterFunc(ctx, func() { up.conn.Close() })

	s.Log.Info("proxy " + up.conn.LocalAddr().String() + " connected to " + up.peer.Addr)
	return h.pipe(ctx, s, up, func(res pipeResult) {
		h.ended(s, up, att, res)
		stopUp()
		s.Client.Close()
		stop()
	}, done)
}

// ended fills the record and logs the end of a session that reached its
// upstream.
func (h *Handler) ended(s *Session, up *upstreamConn, att accesslog.Attempt, res pipeResult) {
	rec := s.Record
	up.release(false)
	att.BytesSent, att.BytesReceived = res.toUpstream, res.fromUpstream
	if res.firstByte > 0 {
		att.GotFirstByte, att.FirstByteTime = true, res.firstByte
	}
	att.SessionTime = h.now().Sub(up.start)
	rec.Attempts[len(rec.Attempts)-1] = att
	rec.BytesReceived, rec.BytesSent = res.fromClient, res.toClient
	rec.Status = 200

	who := "client"
	if res.upstreamFirst {
		who = "upstream"
	}
	byteAttrs := bytesAttrs(res.fromClient, res.toClient, res.fromUpstream, res.toUpstream)
	if res.timedOut {
		// nginx ends a timed-out session without a "disconnected"
		// line (ngx_stream_proxy_process_connection).
		s.Log.Info(timedOutText("connection"), append([]any{"action", actionProxying,
			"client", s.ClientText, "server", s.ServerText, "upstream", up.peer.Addr}, byteAttrs...)...)
		return
	}
	for _, f := range res.failures {
		h.logFlowFailure(s, up.peer.Addr, f, byteAttrs)
	}
	s.Log.Info(who+" disconnected", byteAttrs...)
}

// bytesAttrs are nginx's ", bytes from/to client:R/S, bytes from/to
// upstream:R/S". Its proxy module's log handler (ngx_stream_proxy_log_error)
// ends every line a session logs once proxy_pass has taken it over with
// them, connect and handshake failures included (all zero then: nothing
// has moved yet); only "proxy ... connected to" goes without, and
// "... disconnected" carries them in its message.
func bytesAttrs(fromClient, toClient, fromUpstream, toUpstream int64) []any {
	return []any{"bytes_client", formatRS(fromClient, toClient), "bytes_upstream", formatRS(fromUpstream, toUpstream)}
}

func formatRS(r, s int64) string {
	return strconv.FormatInt(r, 10) + "/" + strconv.FormatInt(s, 10)
}
