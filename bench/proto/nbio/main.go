// Command nbio is a minimal plain TCP proxy on github.com/lesismal/nbio:
// nbio's pollers (one per processor) accept the clients, each client's
// upstream is connected without blocking by the engine itself
// (DialAsync), and OnData writes every message straight to the other side
// with nbio's goroutine-safe Conn.Write (the two sides may live on
// different pollers). nbio ends a connection on EOF; the proxy then closes
// the other side (no half-close, which the bench's plain scenario does
// not need).
package main

import (
	"net"
	"runtime"
	"sync"

	"github.com/lesismal/nbio"
	"github.com/lesismal/nbio/logging"
	"github.com/straitproxy/strait/bench/proto/internal/cli"
)

// pair is one session, the session value of both its connections.
type pair struct {
	mu       sync.Mutex
	client   *nbio.Conn
	upstream *nbio.Conn // nil until connected
	pending  []byte     // what the client sent before that
	closed   bool
}

func (s *pair) peer(c *nbio.Conn) *nbio.Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c == s.client {
		return s.upstream
	}
	return s.client
}

func main() {
	rs := cli.Parse()
	logging.SetLevel(logging.LevelError)
	upstreams := map[string]string{}
	listeners := map[string]net.Listener{}
	var addrs []string
	for i, l := range cli.Listen(rs) {
		a := l.Addr().String()
		upstreams[a], listeners[a] = rs[i].Upstream, l
		addrs = append(addrs, a)
	}
	g := nbio.NewEngine(nbio.Config{
		Network: "tcp",
		Addrs:   addrs,
		NPoller: runtime.GOMAXPROCS(0),
		// Hand nbio the listeners cli opened (or inherited).
		Listen: func(_, addr string) (net.Listener, error) { return listeners[addr], nil },
	})
	g.OnOpen(func(c *nbio.Conn) {
		up, ok := upstreams[c.LocalAddr().String()]
		if !ok {
			return // an upstream: linked in DialAsync's callback
		}
		s := &pair{client: c}
		c.SetSession(s)
		err := g.DialAsync("tcp", up, func(u *nbio.Conn, err error) {
			if err != nil {
				c.Close()
				return
			}
			u.SetSession(s)
			s.mu.Lock()
			s.upstream = u
			pending, closed := s.pending, s.closed
			s.pending = nil
			s.mu.Unlock()
			if closed {
				u.Close()
				return
			}
			if len(pending) > 0 {
				u.Write(pending)
			}
		})
		if err != nil {
			c.Close()
		}
	})
	g.OnData(func(c *nbio.Conn, data []byte) {
		s, ok := c.Session().(*pair)
		if !ok {
			c.Close() // upstream bytes before the client asked: not in this bench
			return
		}
		s.mu.Lock()
		peer := s.upstream
		if c == s.upstream {
			peer = s.client
		}
		if peer == nil {
			s.pending = append(s.pending, data...)
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		if _, err := peer.Write(data); err != nil {
			c.Close()
		}
	})
	g.OnClose(func(c *nbio.Conn, _ error) {
		s, ok := c.Session().(*pair)
		if !ok {
			return
		}
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		if p := s.peer(c); p != nil {
			p.Close()
		}
	})
	if err := g.Start(); err != nil {
		cli.Fatal(err)
	}
	select {}
}
