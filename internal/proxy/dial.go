package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	"github.com/straitproxy/strait/internal/accesslog"
	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/errlog"
	"github.com/straitproxy/strait/internal/upstream"
)

// upstreamConn is the established connection of the attempt that won.
type upstreamConn struct {
	conn  net.Conn // what bytes go through: the socket or a *tls.Conn over it
	raw   net.Conn // the socket
	peer  *upstream.Peer
	sel   *upstream.Selection
	start time.Time
}

func (u *upstreamConn) release(failed bool) { u.sel.Release(u.peer, failed) }

// connect tries peers until one is connected (and its TLS handshake done)
// or proxy_next_upstream gives up. Every attempt is appended to
// s.Record.Attempts; the winning one is returned with ok set. On failure
// s.Record.Status is set when it is not 502.
func (h *Handler) connect(ctx context.Context, s *Session) (*upstreamConn, accesslog.Attempt, bool) {
	rec := s.Record
	sel := h.Group.NewSelection()
	if h.HashKey != nil {
		sel.SetKey(h.HashKey.Append(nil, rec))
	}
	sel.LimitTries(h.Proxy.NextUpstreamTries)
	local := h.localAddr(s)
	start := h.now()
	for {
		peer, err := sel.Next()
		if err != nil {
			if errors.Is(err, upstream.ErrNoLiveUpstreams) {
				s.Log.Error("no live upstreams", append([]any{"action", actionConnecting,
					"client", s.ClientText, "server", s.ServerText, "upstream", h.Group.Name()}, bytesAttrs(0, 0, 0, 0)...)...)
				rec.UpstreamGroup = h.Group.Name()
			}
			return nil, accesslog.Attempt{}, false
		}
		t0 := h.now()
		att := accesslog.Attempt{Addr: peer.Addr}
		conn, raw, ssl, stage, err := h.attempt(ctx, s, peer, local)
		rec.SSL = ssl
		if err == nil {
			sel.Connected(peer)
			att.Connected, att.ConnectTime = true, h.now().Sub(t0)
			rec.Attempts = append(rec.Attempts, att)
			return &upstreamConn{conn: conn, raw: raw, peer: peer, sel: sel, start: t0}, att, true
		}
		if ctx.Err() != nil {
			// Cut by shutdown: not the peer's fault.
			sel.Release(peer, false)
			rec.Attempts = append(rec.Attempts, att)
			if errors.Is(context.Cause(ctx), ErrShutdownTimeout) {
				s.Log.Info(ErrShutdownTimeout.Error(), append([]any{"action", stageAction(stage),
					"client", s.ClientText, "server", s.ServerText, "upstream", peer.Addr}, bytesAttrs(0, 0, 0, 0)...)...)
			}
			return nil, att, false
		}
		if isLocalFailure(stage, err) {
			// strait could not open a socket (descriptors or memory ran
			// out): not the peer's fault either, and the next peer would
			// fare no better. nginx logs it as an alert and ends the
			// session with 500 (ngx_event_connect_peer returns NGX_ERROR).
			s.Log.Log(ctx, localFailureLevel(err), attemptErrorText(peer.Addr, stage, err), append([]any{"action", stageAction(stage),
				"client", s.ClientText, "server", s.ServerText, "upstream", peer.Addr}, bytesAttrs(0, 0, 0, 0)...)...)
			sel.Release(peer, false)
			rec.Attempts = append(rec.Attempts, att)
			rec.Status = 500
			return nil, att, false
		}
		h.logAttemptError(s, peer, stage, err)
		sel.Release(peer, true)
		if h.OnAttemptFailed != nil {
			h.OnAttemptFailed(peer, stage, err)
		}
		att.SessionTime = h.now().Sub(t0)
		rec.Attempts = append(rec.Attempts, att)
		if !h.Proxy.NextUpstream || sel.Tries() == 0 ||
			h.Proxy.NextUpstreamTimeout > 0 && h.now().Sub(start) >= h.Proxy.NextUpstreamTimeout {
			return nil, att, false
		}
	}
}

// attempt dials peer, sends the PROXY header and runs the TLS handshake,
// each step bounded by its own proxy_connect_timeout.
func (h *Handler) attempt(ctx context.Context, s *Session, peer *upstream.Peer, local net.Addr) (conn, raw net.Conn, ssl accesslog.UpstreamSSL, stage Stage, err error) {
	network, addr := "tcp", peer.Addr
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		network, addr = "unix", path
	}
	dctx, cancel := h.withConnectTimeout(ctx)
	raw, err = h.dial(dctx, network, addr, local)
	cancel()
	if err != nil {
		return nil, nil, ssl, StageConnect, err
	}
	if tc, ok := raw.(*net.TCPConn); ok && !h.NoDelay {
		tc.SetNoDelay(false)
	}
	if h.Proxy.ProxyProtocol {
		// The header goes out in cleartext before any TLS record. It
		// names the client as the session knows it, which realip may
		// have taken from the client's own PROXY header, as nginx's
		// ngx_proxy_protocol_write reads the connection's address.
		hdr := AppendProxyV1(make([]byte, 0, proxyV1MaxHeader), s.clientAddr(), s.Client.LocalAddr())
		if h.Proxy.ConnectTimeout > 0 {
			raw.SetWriteDeadline(time.Now().Add(h.Proxy.ConnectTimeout))
		}
		_, err = raw.Write(hdr)
		raw.SetWriteDeadline(time.Time{})
		if err != nil {
			raw.Close()
			return nil, nil, ssl, StageConnect, err
		}
	}
	if h.Handshake == nil {
		return raw, raw, ssl, StageConnect, nil
	}
	hctx, cancel := h.withConnectTimeout(ctx)
	defer cancel()
	tc, ssl, err := h.handshake(hctx, wrapForTLS(raw), peer.Addr, s.Record)
	if err != nil {
		raw.Close()
		return nil, nil, ssl, StageHandshake, err
	}
	return tc, raw, ssl, StageHandshake, nil
}

// handshake runs h.Handshake on a goroutine of its own. The handshake's
// crypto grows a goroutine's stack to tens of KiB, and a stack keeps its
// size while the goroutine lives: on the session's goroutine that memory
// would stay with every idle session.
func (h *Handler) handshake(ctx context.Context, conn net.Conn, peerAddr string, rec *accesslog.Session) (*tls.Conn, accesslog.UpstreamSSL, error) {
	type result struct {
		tc  *tls.Conn
		ssl accesslog.UpstreamSSL
		err error
	}
	done := make(chan result, 1)
	go func() {
		tc, ssl, err := h.Handshake(ctx, conn, peerAddr, rec)
		done <- result{tc, ssl, err}
	}()
	r := <-done
	return r.tc, r.ssl, r.err
}

func (h *Handler) withConnectTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if h.Proxy.ConnectTimeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, h.Proxy.ConnectTimeout)
}

// dial connects to addr from local (proxy_bind; nil: the system's choice).
func (h *Handler) dial(ctx context.Context, network, addr string, local net.Addr) (net.Conn, error) {
	if h.Dial != nil {
		return h.Dial(ctx, network, addr)
	}
	// nginx leaves SO_KEEPALIVE off unless proxy_socket_keepalive is on,
	// and then uses the system's timers.
	d := net.Dialer{KeepAlive: -1}
	if h.Proxy.SocketKeepalive {
		d.KeepAliveConfig = net.KeepAliveConfig{Enable: true, Idle: -1, Interval: -1, Count: -1}
	}
	if network == "tcp" && local != nil {
		d.LocalAddr = local
	}
	return d.DialContext(ctx, network, addr)
}

// localAddr is the session's proxy_bind address: the constant, or the
// value of the expression, evaluated once per session as nginx's
// ngx_stream_proxy_set_local does. An empty value binds nothing; a value
// that is not an address is logged ("invalid local address") and binds
// nothing either.
func (h *Handler) localAddr(s *Session) net.Addr {
	if h.Bind == nil || s.Record == nil {
		if h.Proxy.Bind == "" {
			return nil
		}
		if a := config.ParseLocalAddr(h.Proxy.Bind); a != nil {
			return a // a nil *net.TCPAddr must not become a non-nil net.Addr
		}
		return nil
	}
	v := h.Bind.Value(s.Record)
	if v == "" {
		return nil
	}
	if a := config.ParseLocalAddr(v); a != nil {
		return a
	}
	s.Log.Error("invalid local address \""+v+"\"", "client", s.ClientText, "server", s.ServerText)
	return nil
}

// logAttemptError logs a failed attempt in nginx's words, at nginx's
// level: error, or what the handshake error says (a TLS alert nginx does
// not count as ordinary is crit).
func (h *Handler) logAttemptError(s *Session, peer *upstream.Peer, stage Stage, err error) {
	level := slog.LevelError
	var lv interface{ Level() slog.Level }
	if errors.As(err, &lv) {
		level = lv.Level()
	}
	s.Log.Log(context.Background(), level, attemptErrorText(peer.Addr, stage, err), append([]any{"action", stageAction(stage),
		"client", s.ClientText, "server", s.ServerText, "upstream", peer.Addr}, bytesAttrs(0, 0, 0, 0)...)...)
}

// stageAction is nginx's log action for an attempt's stage.
func stageAction(stage Stage) string {
	if stage == StageHandshake {
		return actionHandshake
	}
	return actionConnecting
}

// isLocalFailure reports whether an attempt failed on strait's side:
// in socket(2), or setting up TLS (a proxy_ssl_certificate with
// variables that cannot be loaded).
func isLocalFailure(stage Stage, err error) bool {
	var lf interface{ LocalFailure() bool }
	if errors.As(err, &lf) && lf.LocalFailure() {
		return true
	}
	var se *os.SyscallError
	return stage == StageConnect && errors.As(err, &se) && se.Syscall == "socket"
}

// localFailureLevel is nginx's level for a local failure: alert for a
// socket that cannot be opened, else what the error says.
func localFailureLevel(err error) slog.Level {
	var lv interface{ Level() slog.Level }
	if errors.As(err, &lv) {
		return lv.Level()
	}
	return errlog.LevelAlert
}

func attemptErrorText(addr string, stage Stage, err error) string {
	if isTimeout(err) {
		return timedOutText("upstream")
	}
	if stage == StageHandshake {
		return err.Error()
	}
	var se *os.SyscallError
	if errors.As(err, &se) {
		switch se.Syscall {
		case "connect":
			if strings.HasPrefix(addr, "unix:") {
				// nginx's immediate-failure wording; TCP connects fail
				// asynchronously and are reported without the address.
				return "connect() to " + addr + " failed " + Errno(err)
			}
			return "connect() failed " + Errno(err)
		case "bind":
			return "bind() failed " + Errno(err)
		case "write":
			// Writing the PROXY protocol header: nginx's send().
			return "send() failed " + Errno(err)
		}
		return se.Syscall + "() failed " + Errno(err)
	}
	if errno := Errno(err); errno != "" {
		return "connect() failed " + errno
	}
	return "connect() failed: " + err.Error()
}
