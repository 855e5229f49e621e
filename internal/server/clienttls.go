package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/straitproxy/strait/internal/clienthello"
	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/metrics"
	"github.com/straitproxy/strait/internal/proxy"
	"github.com/straitproxy/strait/internal/tlsconf"
	"github.com/straitproxy/strait/internal/vars"
)

const actionSSLHandshaking = "SSL handshaking"

// clientTLSResources are what a snapshot's listen ... ssl blocks share:
// shared session caches by zone name, and key log files by path.
type clientTLSResources struct {
	caches  map[string]sessionZone
	keyLogs map[string]*os.File
}

// sessionZone is one ssl_session_cache shared:NAME:SIZE zone.
type sessionZone struct {
	size  int
	cache *tlsconf.SessionCache
}

// buildClientTLS compiles a block's ssl_* settings when it has
// certificates or rejects handshakes: nginx builds (and checks) its TLS
// context then, whether or not a listen uses ssl. prev lends the shared
// session caches of the running configuration, which survive a reload as
// nginx's shared zones do when their size is unchanged.
func (srv *Server) buildClientTLS(snap, prev *snapshot, sc *config.Server) (*tlsconf.Server, error) {
	c := sc.ClientTLS
	if len(c.Certificates) == 0 && !c.RejectHandshake {
		return nil, nil
	}
	res := &snap.clientTLS
	o := tlsconf.ServerOptions{Now: srv.opts.Now}
	if name := c.SessionCache.Shared; name != "" {
		z, ok := res.caches[name]
		if !ok && prev != nil {
			if old, found := prev.clientTLS.caches[name]; found && old.size == c.SessionCache.SharedSize {
				z, ok = old, true
			}
		}
		if !ok {
			z = sessionZone{size: c.SessionCache.SharedSize, cache: tlsconf.NewSharedSessionCache(c.SessionCache.SharedSize)}
		}
		if res.caches == nil {
			res.caches = map[string]sessionZone{}
		}
		res.caches[name] = z
		o.Cache = z.cache
	}
	if c.KeyLog != "" {
		f, ok := res.keyLogs[c.KeyLog]
		if !ok {
			var err error
			// 0600: the file holds every session's secrets.
			if f, err = os.OpenFile(c.KeyLog, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600); err != nil {
				return nil, fmt.Errorf("open() %q failed (%v) in %s", c.KeyLog, err, c.KeyLogPos)
			}
			if res.keyLogs == nil {
				res.keyLogs = map[string]*os.File{}
			}
			res.keyLogs[c.KeyLog] = f
		}
		o.KeyLog = f
	}
	t, err := tlsconf.NewServer(c, o)
	if err != nil {
		return nil, fmt.Errorf("%w in %s", err, sc.Pos)
	}
	return t, nil
}

// close closes the key log files.
func (r *clientTLSResources) close() {
	for _, f := range r.keyLogs {
		f.Close()
	}
}

// sslPhase runs nginx's ssl phase for a listen ... ssl: the handshake,
// bounded by ssl_handshake_timeout and cut by a stop or by
// worker_shutdown_timeout (snap.ctx), then the client certificate
// verdict. On success ps.Client is the TLS connection; on failure the
// record's status is set (500, as nginx finalizes a session whose ssl
// phase failed). It returns the block that serves the rest of the
// session: on an address several blocks share, the one the SNI names,
// whose certificates and ssl_* settings the handshake then uses, as
// nginx's server name callback switches the SSL context.
func (s *Server) sslPhase(snap *snapshot, bnd *binding, b *block, ps *proxy.Session) *block {
	rec := ps.Record
	if tc, ok := ps.Client.(*net.TCPConn); ok && !b.cfg.TCPNoDelay {
		tc.SetNoDelay(false)
	}
	ctx := snap.ctx
	chosen := b
	if bnd.names != nil {
		// nginx arms ssl_handshake_timeout of the default block once,
		// before the ClientHello is read.
		if t := b.clientTLS.Timeout(); t > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, t)
			defer cancel()
		}
		var name string
		ps.Preread, name = readHello(ctx, ps.Client, ps.Preread)
		if nb := bnd.findServer(rec, name); nb != nil && nb != b {
			chosen = nb
			s.switchServer(ps, chosen, rec.Connection)
		}
	}
	tlsSrv := chosen.clientTLS
	if tlsSrv == nil {
		// A block without certificates keeps the default's, as nginx
		// switches the SSL context only to a block that has one.
		tlsSrv = b.clientTLS
	}
	conn := proxy.ClientTLSConn(ps.Client, ps.Preread)
	ps.Preread = nil
	tc, info, err := tlsSrv.Handshake(ctx, conn)
	if info != nil {
		rec.ClientTLS = clientTLSVars(info)
	}
	if err == nil {
		s.stats.clientHandshake(info.Reused, "")
		ps.Client = tc
		return chosen
	}
	attrs := []any{"client", ps.ClientText, "server", ps.ServerText, "action", actionSSLHandshaking}
	if snap.ctx.Err() != nil {
		// Cut by a stop or worker_shutdown_timeout, as the PROXY header
		// phase is: a word only for the shutdown timeout.
		if errors.Is(context.Cause(snap.ctx), proxy.ErrShutdownTimeout) {
			ps.Log.Info(proxy.ErrShutdownTimeout.Error(), attrs...)
		}
		rec.Status = 200
		return chosen
	}
	reason := tlsconf.ReasonOther
	var he *tlsconf.ServerHandshakeError
	if errors.As(err, &he) {
		reason = he.Reason
	}
	s.stats.clientHandshake(false, reason)
	ps.Log.Info(err.Error(), attrs...)
	rec.Status = 500
	return chosen
}

// maxHello bounds the bytes read for a ClientHello before the server is
// chosen: a hello larger than this goes to the default block's
// handshake, which refuses it.
const maxHello = 64 << 10

// readHello reads the client's bytes until they hold a whole ClientHello
// (or are not one, or fail), for the name it asks for. The bytes go on
// to the handshake, which reads them first; errors are left to the
// handshake too, which meets them again and words them as nginx does.
func readHello(ctx context.Context, c net.Conn, pre []byte) ([]byte, string) {
	buf := make([]byte, len(pre), max(4096, len(pre)))
	copy(buf, pre)
	stop := context.AfterFunc(ctx, func() { c.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	for {
		info, st := clienthello.Parse(buf)
		switch st {
		case clienthello.Done:
			return buf, info.ServerName
		case clienthello.NotTLS:
			return buf, ""
		}
		if len(buf) >= maxHello {
			return buf, ""
		}
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(cap(buf), maxHello-len(buf)))
		}
		n, err := c.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil {
			return buf, ""
		}
	}
}

// clientTLSVars turns what the handshake learned into the $ssl_*
// variables' view.
func clientTLSVars(i *tlsconf.ServerInfo) *vars.ClientTLS {
	v := &vars.ClientTLS{
		Protocol: i.Protocol(), Cipher: i.Cipher(), ServerName: i.ServerName, ALPN: i.ALPN,
		Reused: i.Reused, SessionID: i.SessionID, Ciphers: i.OfferedCiphers, Curves: i.OfferedCurves,
		Names: tlsNames{}, Verify: i.Verify, Cert: i.Cert,
	}
	if i.Curve != 0 {
		v.Curve = tlsconf.GroupName(i.Curve)
	}
	return v
}

// tlsNames names suites and groups for the variables.
type tlsNames struct{}

func (tlsNames) SuiteName(id uint16) string      { return tlsconf.SuiteName(id) }
func (tlsNames) GroupName(id tls.CurveID) string { return tlsconf.GroupName(id) }

// clientTLSStats counts handshakes with clients.
type clientTLSStats struct {
	mu       sync.Mutex
	counts   metrics.ClientTLS
	failures map[string]uint64
}

// clientHandshake counts one handshake: done when reason is "", else
// failed for reason.
func (c *statsCollector) clientHandshake(resumed bool, reason string) {
	t := &c.clientTLS
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case reason != "":
		if t.failures == nil {
			t.failures = map[string]uint64{}
		}
		t.failures[reason]++
	case resumed:
		t.counts.Resumed++
	default:
		t.counts.New++
	}
}

// fill copies the counts into a metrics snapshot.
func (t *clientTLSStats) fill(out *metrics.Snapshot) {
	t.mu.Lock()
	defer t.mu.Unlock()
	out.ClientTLS = t.counts
	out.ClientTLS.Failures = make(map[string]uint64, len(t.failures))
	for k, v := range t.failures {
		out.ClientTLS.Failures[k] = v
	}
}
