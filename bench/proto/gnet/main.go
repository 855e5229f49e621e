// Command gnet is a minimal plain TCP proxy on github.com/panjf2000/gnet/v2:
// gnet's event loops (one per processor) accept the clients, and each
// client's upstream connection is dialed and registered into the same
// event loop (EventLoop.Register), so that both sides of a session are
// served by one loop and a message is passed on with a direct write, no
// cross-loop hand-off. gnet ends a connection on EOF; the proxy then
// closes the other side once gnet has flushed what it holds for it (no
// half-close, which the bench's plain scenario does not need).
package main

import (
	"context"
	"fmt"
	"net"
	"os"

	"github.com/panjf2000/gnet/v2"
	"github.com/straitproxy/strait/bench/proto/internal/cli"
)

func main() {
	rs := cli.Parse()
	h := &proxy{upstreams: map[string]net.Addr{}}
	var addrs []string
	for _, r := range rs {
		ua, err := net.ResolveTCPAddr("tcp", r.Upstream)
		if err != nil {
			cli.Fatal(err)
		}
		la, err := net.ResolveTCPAddr("tcp", r.Listen)
		if err != nil {
			cli.Fatal(err)
		}
		h.upstreams[la.String()] = ua
		addrs = append(addrs, "tcp://"+r.Listen)
	}
	if err := gnet.Rotate(h, addrs, gnet.WithMulticore(true), gnet.WithReuseAddr(true),
		gnet.WithLogger(quiet{})); err != nil {
		cli.Fatal(err)
	}
}

// proxy is the event handler; upstreams maps a listen address to its
// upstream and is read-only once running.
type proxy struct {
	gnet.BuiltinEventEngine
	upstreams map[string]net.Addr
}

// pair is one session, the context of both its connections. Only the
// event loop that owns both touches it; pending holds what the client
// sent before the upstream was connected.
type pair struct {
	client   gnet.Conn
	upstream gnet.Conn
	pending  []byte
	closed   bool
}

func (p *proxy) OnOpen(c gnet.Conn) ([]byte, gnet.Action) {
	if s, ok := c.Context().(*pair); ok {
		// The upstream side of s, registered into the client's loop.
		s.upstream = c
		if len(s.pending) > 0 {
			c.Write(s.pending)
			s.pending = nil
		}
		if s.closed {
			return nil, gnet.Close
		}
		return nil, gnet.None
	}
	up, ok := p.upstreams[c.LocalAddr().String()]
	if !ok {
		return nil, gnet.Close
	}
	s := &pair{client: c}
	c.SetContext(s)
	ch, err := c.EventLoop().Register(gnet.NewContext(context.Background(), s), up)
	if err != nil {
		return nil, gnet.Close
	}
	go func() {
		if r := <-ch; r.Err != nil {
			c.Close()
		}
	}()
	return nil, gnet.None
}

func (p *proxy) OnTraffic(c gnet.Conn) gnet.Action {
	s := c.Context().(*pair)
	data, _ := c.Next(-1)
	peer := s.client
	if c == s.client {
		peer = s.upstream
	}
	if peer == nil {
		s.pending = append(s.pending, data...)
		return gnet.None
	}
	if _, err := peer.Write(data); err != nil {
		return gnet.Close
	}
	return gnet.None
}

func (p *proxy) OnClose(c gnet.Conn, _ error) gnet.Action {
	s, ok := c.Context().(*pair)
	if !ok {
		return gnet.None
	}
	s.closed = true
	peer := s.client
	if c == s.client {
		peer = s.upstream
	}
	if peer != nil {
		c.EventLoop().Close(peer)
	}
	return gnet.None
}

// quiet drops gnet's informational logs: a prototype prints nothing on
// success.
type quiet struct{}

func (quiet) Debugf(string, ...any)     {}
func (quiet) Infof(string, ...any)      {}
func (quiet) Warnf(string, ...any)      {}
func (quiet) Errorf(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) }
func (quiet) Fatalf(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...); os.Exit(1) }
