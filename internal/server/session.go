package server

import (
	"context"
	"errors"
	"net"
	"os"
	"strconv"

	"github.com/straitproxy/strait/internal/accesslog"
	"github.com/straitproxy/strait/internal/errlog"
	"github.com/straitproxy/strait/internal/proxy"
	"github.com/straitproxy/strait/internal/vars"
)

// serveConn runs one accepted connection through nginx's stream phases:
// PROXY protocol header, realip (post-accept), set then limit_conn
// (pre-access), allow/deny (access), the TLS handshake of listen ... ssl
// (ssl), ssl_preread (preread), then the content handler, proxy_pass,
// return or pass; finally the access log and counters. pass starts a
// new session on the same connection, as nginx's pass module does.
// done is called once the connection is done with: before serveConn
// returns, or later, from another goroutine, for a session the event
// loops carry on without this one.
func (s *Server) serveConn(snap *snapshot, l *listener, c net.Conn, done func()) {
	n := s.connSeq.Add(1)
	bnd := snap.lookup(l.key, c.LocalAddr())
	if bnd == nil {
		// Accepted just as a reload dropped this listener.
		c.Close()
		done()
		return
	}
	s.stats.handled.Add(1)
	s.stats.active.Add(1)
	// A stop, or worker_shutdown_timeout running out, cancels snap.ctx.
	// Closing the client then ends the session in whatever phase it is:
	// the phases before proxying block on client reads that only their
	// own timeouts (proxy_protocol_timeout) would otherwise end.
	stop := context.AfterFunc(snap.ctx, func() { c.Close() })
	h := &handoff{bnd: bnd, local: c.LocalAddr(), remote: c.RemoteAddr(), client: c, serverText: l.text}
	// limit_conn counts stay held until the connection closes, also
	// those of the sessions that passed it on (nginx releases them
	// with the connection's pool).
	var held []heldLimit
	end := func() {
		for _, hl := range held {
			hl.zone.release(hl.key)
		}
		stop()
		s.stats.active.Add(-1)
		done()
	}
	for h != nil {
		var async bool
		if h, async = s.serveSession(snap, n, h, &held, end); async {
			return
		}
	}
	end()
}

// handoff is what a session starts with: the connection as accepted, or
// as pass handed it over with whatever was read from it.
type handoff struct {
	bnd        *binding
	local      net.Addr // the listen's address: the accepting socket's, or pass's
	remote     net.Addr
	client     net.Conn
	serverText string // the listening socket, for "server: " in logs
	preread    []byte
	clientTLS  *vars.ClientTLS // the TLS session when the connection already has one
	passes     int             // how many times pass handed the connection on
}

// serveSession runs one session on h, adding the limit_conn counts it
// takes to held. It returns the next session's start when pass hands the
// connection on. async reports that the session goes on without this
// goroutine: it calls end once it has been finished (logged and counted).
func (s *Server) serveSession(snap *snapshot, n uint64, h *handoff, held *[]heldLimit, end func()) (next *handoff, async bool) {
	bnd := h.bnd
	b := bnd.block
	first := b // the block whose active count this session holds
	first.stats.active.Add(1)
	c := h.client
	rec := &accesslog.Session{
		Connection: n, Start: s.now(), RemoteAddr: h.remote, ServerAddr: h.local,
		Protocol: "TCP", Hostname: s.opts.Hostname, PID: s.opts.PID, ServerName: b.cfg.ServerName,
	}
	log := b.log.With("conn", n)
	log.Info("client " + clientText(rec.RemoteAddr) + " connected to " + bnd.text)
	ps := &proxy.Session{
		Client: c, Log: log, Record: rec, Preread: h.preread,
		ClientText: addrHost(rec.RemoteAddr), ServerText: h.serverText,
	}
	*held = append(*held, s.preamble(snap, bnd, ps)...)
	if rec.Status == 0 && h.clientTLS != nil {
		// Passed on after a TLS handshake: the connection keeps its
		// TLS session, as nginx's keeps c->ssl.
		rec.ClientTLS = h.clientTLS
	} else if rec.Status == 0 && bnd.ssl && b.clientTLS != nil {
		b = s.sslPhase(snap, bnd, b, ps)
	}
	if rec.Status == 0 && b.cfg.SSLPreread {
		s.prereadPhase(snap, b, ps)
		// nginx then looks the server up again by the preread name.
		if p := rec.Preread; rec.Status == 0 && p != nil && p.ServerName != "" {
			if nb := bnd.findServer(rec, p.ServerName); nb != nil {
				b = nb
				s.switchServer(ps, b, n)
			}
		}
	}
	group := b.groupName()
	// finish ends a session that was not passed on; for one carried on
	// without this goroutine it runs from the proxy's callback, which
	// then ends the connection too.
	finish := func() {
		s.finishSession(b, group, ps)
		first.stats.active.Add(-1)
	}
	switch {
	case rec.Status != 0:
		c.Close()
	case b.handoff != nil:
		if next := s.passPhase(snap, b, ps, h); next != nil {
			// The session ends without a log record: nginx never
			// finalizes a session it passed on.
			first.stats.active.Add(-1)
			return next, false
		}
		c.Close()
	case b.pass != nil:
		if h := b.pass.pick(ps); h != nil {
			group = h.Group.Name()
			if h.ServeAsync(snap.ctx, ps, func() {
				ps.Client.Close()
				finish()
				end()
			}) {
				return nil, true
			}
		}
		ps.Client.Close()
	case b.handler == nil:
		serveReturn(snap.ctx, ps, b.ret)
	default:
		if b.handler.ServeAsync(snap.ctx, ps, func() {
			finish()
			end()
		}) {
			return nil, true
		}
	}
	finish()
	return nil, false
}

// finishSession writes the session's access log records and counts it.
func (s *Server) finishSession(b *block, group string, ps *proxy.Session) {
	rec, log := ps.Record, ps.Log
	rec.End = s.now()
	if len(b.logs) > 0 {
		for _, al := range b.logs {
			if err := al.Record(rec); err != nil {
				// nginx warns about a failed send to syslog, alerts
				// about a failed write to a file and is critical about
				// a file named with variables that cannot be opened.
				level := errlog.LevelAlert
				switch {
				case al.Syslog != nil:
					level = errlog.LevelWarn
				case accesslog.IsCrit(err):
					level = errlog.LevelCrit
				}
				log.Log(context.Background(), level, err.Error(), logContext(ps)...)
			}
		}
	}
	s.stats.finished(group, rec)
	b.stats.finished(rec)
}

const actionReadingProxyProtocol = "reading PROXY protocol"

// logContext is the suffix nginx gives a message about a session that has
// ended, such as a failed access log write: client and server, and for a
// session that reached its upstream the proxying action, the upstream and
// the byte counts (nginx keeps the connection's last action).
func logContext(ps *proxy.Session) []any {
	rec := ps.Record
	attrs := ps.ClientAttrs()
	if n := len(rec.Attempts); n > 0 && rec.Attempts[n-1].Connected {
		a := rec.Attempts[n-1]
		attrs = append(attrs, "action", "proxying connection", "upstream", a.Addr,
			"bytes_client", strconv.FormatInt(rec.BytesReceived, 10)+"/"+strconv.FormatInt(rec.BytesSent, 10),
			"bytes_upstream", strconv.FormatInt(a.BytesReceived, 10)+"/"+strconv.FormatInt(a.BytesSent, 10))
	}
	return attrs
}

// preamble runs the phases before proxying. It sets ps.Record.Status when
// the session must end here, and returns the limit_conn counts it holds.
func (s *Server) preamble(snap *snapshot, bnd *binding, ps *proxy.Session) []heldLimit {
	b, rec, c := bnd.block, ps.Record, ps.Client
	ctxAttrs := ps.ClientAttrs
	if bnd.proxyProtocol {
		hdr, rest, err := proxy.ReadProxyHeader(replayConn(c, ps.Preread), b.cfg.ProxyProtocolTimeout)
		switch {
		case err == nil:
			rec.ProxyProtocolAddr, rec.ProxyProtocolPort = hdr.SrcAddr, hdr.SrcPort
			rec.ProxyProtocolServerAddr, rec.ProxyProtocolServerPort = hdr.DstAddr, hdr.DstPort
			ps.Preread = rest
		case snap.ctx.Err() != nil:
			// Cut while waiting for the header (the read failed because
			// the client was closed). nginx would wait for the header or
			// proxy_protocol_timeout even past worker_shutdown_timeout;
			// strait ends such a session as nginx ends a proxied one the
			// shutdown timer cuts: "shutdown timeout", status 200. A fast
			// stop ends it without a word.
			if errors.Is(context.Cause(snap.ctx), proxy.ErrShutdownTimeout) {
				ps.Log.Info(proxy.ErrShutdownTimeout.Error(), append(ctxAttrs(), "action", actionReadingProxyProtocol)...)
			}
			rec.Status = 200
			return nil
		case os.IsTimeout(err):
			ps.Log.Info("client timed out (110: Connection timed out)", append(ctxAttrs(), "action", actionReadingProxyProtocol)...)
			rec.Status = 200
			return nil
		case errors.Is(err, proxy.ErrBrokenHeader):
			ps.Log.Error(err.Error(), append(ctxAttrs(), "action", actionReadingProxyProtocol)...)
			rec.Status = 400
			return nil
		default:
			ps.Log.Info("client closed connection", append(ctxAttrs(), "action", actionReadingProxyProtocol)...)
			rec.Status = 400
			return nil
		}
	}
	realIP(b.realIP, ps)
	// nginx runs a phase's handlers in the reverse order of their
	// modules' registration: set before limit_conn, so limit_conn keys
	// see set's values.
	for _, st := range b.sets {
		st.v.Set(rec, st.value.Value(rec))
	}
	var held []heldLimit
	if len(b.limits) > 0 {
		for _, lim := range b.limits {
			key := lim.key.Value(rec)
			if key == "" {
				continue // nginx does not account sessions with an empty key
			}
			if lim.zone.acquire(key, lim.max) {
				held = append(held, heldLimit{lim.zone, key})
				continue
			}
			level, err := errlog.ParseLevel(b.cfg.LimitConnLogLevel)
			if err != nil {
				level = errlog.LevelError
			}
			if b.cfg.LimitConnDryRun {
				ps.Log.Log(context.Background(), level, `limiting connections, dry run, by zone "`+lim.zone.name+`"`, ctxAttrs()...)
				continue
			}
			ps.Log.Log(context.Background(), level, `limiting connections by zone "`+lim.zone.name+`"`, ctxAttrs()...)
			rec.Status = 503
			return held
		}
	}
	if !accessAllowed(b.access, rec.RemoteAddr) {
		ps.Log.Error("access forbidden by rule", ctxAttrs()...)
		rec.Status = 403
	}
	return held
}
