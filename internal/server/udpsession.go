package server

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/straitproxy/strait/internal/accesslog"
	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/proxy"
	"github.com/straitproxy/strait/internal/upstream"
	"github.com/straitproxy/strait/internal/vars"
)

// serveDatagram runs one UDP session through the phases serveConn runs
// for TCP (set, limit_conn, allow/deny, then proxy_pass or return) and
// logs it. first is the datagram that started it; e receives the
// client's later ones.
func (s *Server) serveDatagram(snap *snapshot, l *listener, from netip.AddrPort, e *udpEntry, first []byte) {
	n := s.connSeq.Add(1)
	// The session's addresses are kept as TCP addresses: variables,
	// access rules and the PROXY header read their IP and port, and
	// $protocol says the transport.
	local := tcpAddrOf(l.pc.LocalAddr())
	bnd := snap.lookup(l.key, local)
	if bnd == nil {
		return // read just as a reload dropped this listener
	}
	s.stats.handled.Add(1)
	s.stats.active.Add(1)
	defer s.stats.active.Add(-1)
	b := bnd.block
	rec := &accesslog.Session{
		Connection: n, Start: s.now(), RemoteAddr: net.TCPAddrFromAddrPort(from), ServerAddr: local,
		Protocol: "UDP", Hostname: s.opts.Hostname, PID: s.opts.PID, ServerName: b.cfg.ServerName,
		// nginx counts the first datagram as received when the session
		// starts, whatever its phases then decide.
		BytesReceived: int64(len(first)),
	}
	log := b.log.With("conn", n)
	log.Info("udp client " + from.String() + " connected to " + bnd.text)
	ps := &proxy.Session{
		Log: log, Record: rec, UDP: true,
		ClientText: addrHost(rec.RemoteAddr), ServerText: l.text,
	}
	reply := func(d []byte) error {
		_, err := l.pc.WriteToUDPAddrPort(d, from)
		return err
	}
	held := s.preamble(snap, bnd, ps)
	switch {
	case rec.Status != 0:
	case b.handler == nil:
		returnDatagram(ps, b.ret, reply)
	default:
		ds := &proxy.DatagramSession{
			Session: ps, First: first, In: e.in, Reply: reply, Closed: l.done,
			Detach: func() {
				for _, d := range l.udp.remove(from, e) {
					s.dispatch(l, from, d)
				}
			},
		}
		b.handler.ServeUDP(snap.ctx, ds)
	}
	for _, h := range held {
		h.zone.release(h.key)
	}
	s.finishSession(b, b.groupName(), ps)
}

// returnDatagram is ngx_stream_return_module over UDP: the value goes to
// the client as one datagram, and the session ends with 200, or 500 when
// the send fails.
func returnDatagram(ps *proxy.Session, value *vars.Expr, reply func([]byte) error) {
	rec := ps.Record
	text := value.Append(nil, rec)
	rec.Status = 200
	if err := reply(text); err != nil {
		ps.Log.Info("sendmsg() failed "+proxy.Errno(err), append(ps.ClientAttrs(), "action", "returning text")...)
		rec.Status = 500
		return
	}
	rec.BytesSent = int64(len(text))
}

// tcpAddrOf returns a UDP socket address as the TCP address the session
// record uses.
func tcpAddrOf(a net.Addr) *net.TCPAddr {
	if u, ok := a.(*net.UDPAddr); ok {
		ap := u.AddrPort()
		return net.TCPAddrFromAddrPort(netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()))
	}
	return &net.TCPAddr{}
}

// checkUDPPeers refuses unix domain peers for a block that serves UDP:
// strait relays datagrams over UDP sockets only.
func checkUDPPeers(sc *config.Server, g *upstream.Group) error {
	if !sc.HasUDP() {
		return nil
	}
	for _, p := range g.Peers() {
		if strings.HasPrefix(p.Addr, "unix:") {
			return fmt.Errorf("proxying \"udp\" to the unix domain socket %q is not supported yet in %s", p.Addr, sc.ProxyPass.Pos)
		}
	}
	return nil
}
