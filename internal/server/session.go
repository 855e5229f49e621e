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
)

// serveConn runs one accepted connection through nginx's stream phases:
// PROXY protocol header, realip (post-accept), set then limit_conn
// (pre-access), allow/deny (access), the TLS handshake of listen ... ssl
// (ssl), ssl_preread (preread), then the content handler, proxy_pass or
// return; finally the access log and counters.
func (s *Server) serveConn(snap *snapshot, l *listener, c net.Conn) {
	n := s.connSeq.Add(1)
	bnd := snap.lookup(l.key, c.LocalAddr())
	if bnd == nil {
		// Accepted just as a reload dropped this listener.
		c.Close()
		return
	}
	s.stats.handled.Add(1)
	s.stats.active.Add(1)
	defer s.stats.active.Add(-1)
	b := bnd.block
	b.stats.active.Add(1)
	defer b.stats.active.Add(-1)
	rec := &accesslog.Session{
		Connection: n, Start: s.now(), RemoteAddr: c.RemoteAddr(), ServerAddr: c.LocalAddr(),
		Protocol: "TCP", Hostname: s.opts.Hostname, PID: s.opts.PID,
	}
	log := b.log.With("conn", n)
	log.Info("client " + clientText(rec.RemoteAddr) + " connected to " + bnd.text)
	ps := &proxy.Session{
		Client: c, Log: log, Record: rec,
		ClientText: addrHost(rec.RemoteAddr), ServerText: l.text,
	}
	// A stop, or worker_shutdown_timeout running out, cancels snap.ctx.
	// Closing the client then ends the session in whatever phase it is:
	// the phases before proxying block on client reads that only their
	// own timeouts (proxy_protocol_timeout) would otherwise end.
	stop := context.AfterFunc(snap.ctx, func() { c.Close() })
	defer stop()
	held := s.preamble(snap, bnd, ps)
	if rec.Status == 0 && bnd.listen.SSL && b.clientTLS != nil {
		s.sslPhase(snap, b, ps)
	}
	if rec.Status == 0 && b.cfg.SSLPreread {
		s.prereadPhase(snap, b, ps)
	}
	group := b.groupName()
	switch {
	case rec.Status != 0:
		c.Close()
	case b.pass != nil:
		if h := b.pass.pick(ps); h != nil {
			group = h.Group.Name()
			h.Serve(snap.ctx, ps)
		}
		ps.Client.Close()
	case b.handler == nil:
		serveReturn(snap.ctx, ps, b.ret)
	default:
		b.handler.Serve(snap.ctx, ps)
	}
	s.finishSession(b, group, ps, held)
}

// finishSession releases the session's limit_conn counts, writes its
// access log records and counts it.
func (s *Server) finishSession(b *block, group string, ps *proxy.Session, held []heldLimit) {
	rec, log := ps.Record, ps.Log
	for _, h := range held {
		h.zone.release(h.key)
	}
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
	if bnd.listen.ProxyProtocol {
		hdr, rest, err := proxy.ReadProxyHeader(c, b.cfg.ProxyProtocolTimeout)
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
