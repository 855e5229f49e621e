package server

import (
	"context"
	"fmt"
	"net"

	"github.com/straitproxy/strait/internal/errlog"
	"github.com/straitproxy/strait/internal/proxy"
)

// Inherited listening sockets are how nginx hands its listeners to a new
// binary (the NGINX environment variable, ngx_add_inherited_sockets) and
// how a supervisor or a test gives strait a socket it already bound: at
// start, a socket whose local address is one the configuration binds is
// used instead of binding (ngx_init_cycle matches them with
// ngx_cmp_sockaddr), and the rest are closed. An adopted socket is then an
// ordinary listener: reloads keep it while a listen names its address and
// close it when none does.

// adoptInherited wraps every inherited listener and UDP socket whose
// address snap binds and closes the others, with a notice. It takes
// ownership of all of them: on error every one is closed.
func adoptInherited(snap *snapshot, inherited []net.Listener, packets []net.PacketConn) (map[string]*listener, error) {
	adopted := map[string]*listener{}
	fail := func(err error, rest []net.Listener) (map[string]*listener, error) {
		for _, l := range adopted {
			l.close()
		}
		for _, ln := range rest {
			ln.Close()
		}
		for _, pc := range packets {
			pc.Close()
		}
		return nil, err
	}
	for i, ln := range inherited {
		key, text := inheritedKey(ln.Addr())
		r, ok := snap.routes[key]
		if !ok || adopted[key] != nil {
			// nginx closes them silently; say so, since an operator who
			// passed a socket expects it to be used.
			snap.log.Log(context.Background(), errlog.LevelNotice,
				fmt.Sprintf(`closing inherited socket on %s: no "listen" directive matches it`, text))
			ln.Close()
			continue
		}
		if r.bind.listen.Backlog > 0 {
			// As nginx's ngx_configure_listening_sockets does, the backlog
			// of the listen directive applies to an inherited socket too.
			if err := setBacklog(ln, r.bind.listen.Backlog); err != nil {
				return fail(fmt.Errorf("listen() to %s, backlog %d failed %s", r.bind.text(), r.bind.listen.Backlog, proxy.Errno(err)), inherited[i:])
			}
		}
		adopted[key] = newListener(key, r.bind.text(), keepAliveAsConfigured(ln, r.bind))
	}
	adoptPackets(snap, packets, adopted)
	return adopted, nil
}

// adoptPackets adds the inherited UDP sockets a "listen ... udp" names
// to adopted and closes the others, with a notice. nginx takes UDP
// sockets from its NGINX variable too, telling them apart by SO_TYPE.
func adoptPackets(snap *snapshot, packets []net.PacketConn, adopted map[string]*listener) {
	for _, pc := range packets {
		key, text := inheritedKey(pc.LocalAddr())
		uc, isUDP := pc.(*net.UDPConn)
		if _, ok := snap.routes[key]; !ok || !isUDP || adopted[key] != nil {
			snap.log.Log(context.Background(), errlog.LevelNotice,
				fmt.Sprintf(`closing inherited socket on %s: no "listen" directive matches it`, text))
			pc.Close()
			continue
		}
		adopted[key] = newPacketListener(key, text, uc)
	}
}

// inheritedKey returns the bindAddr key and nginx's addr_text of a
// listener's local address, in the form expandListen gives them.
func inheritedKey(a net.Addr) (key, text string) {
	var b bindAddr
	switch a := a.(type) {
	case *net.TCPAddr:
		ap := a.AddrPort()
		b = bindAddr{network: "tcp", address: net.JoinHostPort(ap.Addr().WithZone("").String(), fmt.Sprint(ap.Port()))}
	case *net.UDPAddr:
		ap := a.AddrPort()
		b = bindAddr{network: "udp", address: net.JoinHostPort(ap.Addr().WithZone("").String(), fmt.Sprint(ap.Port()))}
	case *net.UnixAddr:
		b = bindAddr{network: "unix", address: a.Name}
	default:
		return "", a.String()
	}
	return b.key(), b.text()
}

// keepAliveAsConfigured makes a TCP listener it did not create itself
// accept connections with keepalive as the listen directive says. A
// listener strait binds is made with KeepAlive -1, so accepted sockets
// keep what they inherit from the listening socket (so_keepalive, or
// nothing, as in nginx); net.FileListener and net.Listen instead turn
// keepalive on for every connection they accept, and nothing can change
// that afterwards, so each accepted connection is set back.
func keepAliveAsConfigured(ln net.Listener, b bindAddr) net.Listener {
	tl, ok := ln.(*net.TCPListener)
	if !ok {
		return ln
	}
	ka := b.listen.KeepAlive
	cfg := net.KeepAliveConfig{Enable: false}
	if ka.Set && ka.On {
		// Negative values leave the system's default, as nginx does for
		// the parts of so_keepalive that are not given.
		cfg = net.KeepAliveConfig{Enable: true, Idle: -1, Interval: -1, Count: -1}
		if ka.Idle > 0 {
			cfg.Idle = ka.Idle
		}
		if ka.Interval > 0 {
			cfg.Interval = ka.Interval
		}
		if ka.Count > 0 {
			cfg.Count = ka.Count
		}
	}
	return &keepAliveListener{TCPListener: tl, cfg: cfg}
}

type keepAliveListener struct {
	*net.TCPListener
	cfg net.KeepAliveConfig
}

func (l *keepAliveListener) Accept() (net.Conn, error) {
	c, err := l.AcceptTCP()
	if err != nil {
		return nil, err
	}
	if l.cfg.Enable {
		c.SetKeepAliveConfig(l.cfg)
	} else {
		c.SetKeepAlive(false)
	}
	return c, nil
}
