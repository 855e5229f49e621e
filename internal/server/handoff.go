package server

import (
	"crypto/tls"
	"net"
	"net/netip"
	"strings"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/proxy"
)

const actionPassing = "passing connection to port"

// maxPasses is NGX_STREAM_PASS_MAX_PASSES: a connection passed on more
// often is taken to be in a cycle.
const maxPasses = 10

// passPhase is ngx_stream_pass_handler: it finds the listen of this
// process that has the pass address and returns the start of a new
// session there, on the same connection, with what was already read
// from it. On failure it sets the record's status and returns nil:
// 500 for an address that cannot be used, 200 (nginx's NGX_STREAM_OK)
// for one no listen has, with nginx's words in the error log.
func (s *Server) passPhase(snap *snapshot, b *block, ps *proxy.Session, h *handoff) *handoff {
	rec := ps.Record
	attrs := append(ps.ClientAttrs(), "action", actionPassing)
	addr := b.handoff.Address
	if b.handoffValue != nil {
		v := b.handoffValue.Value(rec)
		a, err := config.ParsePassAddress(v)
		if err != nil {
			ps.Log.Error(passValueError(v, err), attrs...)
			rec.Status = 500
			return nil
		}
		addr = a
	}
	if h.passes+1 > maxPasses {
		ps.Log.Error("stream pass cycle", attrs...)
		rec.Status = 500
		return nil
	}
	r, local := snap.passRoute(addr)
	var bnd *binding
	if r != nil {
		bnd = snap.lookup(r.bind.key(), local)
	}
	if bnd == nil {
		ps.Log.Error(`port not found for "`+addr+`"`, attrs...)
		rec.Status = 200
		return nil
	}
	next := &handoff{
		bnd: bnd, local: local, remote: rec.RemoteAddr, client: ps.Client,
		serverText: r.bind.text(), preread: ps.Preread, passes: h.passes + 1,
	}
	if _, ok := ps.Client.(*tls.Conn); ok {
		next.clientTLS = rec.ClientTLS
	}
	return next
}

// passValueError words a pass value that is not an address as
// ngx_stream_pass_handler does.
func passValueError(v string, err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "has no port"):
		return `no port in pass "` + v + `"`
	case strings.Contains(msg, "has no addresses"):
		return `no addresses in pass "` + v + `"`
	}
	return strings.TrimSuffix(msg, ` of the "pass" directive`) + ` in pass "` + v + `"`
}

// passRoute finds the listening socket for a pass address as
// ngx_stream_pass_match does: a socket bound to the address itself, else
// a wildcard socket of the same family and port. UDP sockets never
// match. It returns the address as the new session's local address.
func (s *snapshot) passRoute(addr string) (*route, net.Addr) {
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		for _, r := range s.routes {
			if r.bind.network == "unix" && r.bind.address == path {
				return r, &net.UnixAddr{Name: path, Net: "unix"}
			}
		}
		return nil, nil
	}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, nil
	}
	local := net.TCPAddrFromAddrPort(ap)
	var wildcard *route
	for _, r := range s.routes {
		if r.bind.network != "tcp" {
			continue
		}
		bp, err := netip.ParseAddrPort(r.bind.address)
		if err != nil || bp.Port() != ap.Port() {
			continue
		}
		if bp.Addr() == ap.Addr() {
			return r, local
		}
		if bp.Addr().IsUnspecified() && bp.Addr().Is4() == ap.Addr().Is4() {
			wildcard = r
		}
	}
	if wildcard == nil {
		return nil, nil
	}
	return wildcard, local
}
