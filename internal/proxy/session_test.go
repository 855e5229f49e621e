package proxy

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/straittest"
	"github.com/straitproxy/strait/internal/upstream"
)

func TestWeightedRoundRobinThroughSessions(t *testing.T) {
	for _, tc := range []struct {
		name    string
		weights []int
		want    string
	}{
		{"5/1/1", []int{5, 1, 1}, "aabacaa"},
		{"1/2", []int{1, 2}, "bab"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var specs []upstream.ServerSpec
			for i, w := range tc.weights {
				specs = append(specs, spec(straittest.ServeTCP(t, straittest.Say(string(rune('a'+i)))), w))
			}
			tp := startProxy(t, &Handler{Group: newGroup(t, specs...), Proxy: testProxyConfig()})
			var got strings.Builder
			for range len(tc.want) {
				got.WriteString(roundTrip(t, tp.addr, ""))
				tp.record(t)
			}
			if got.String() != tc.want {
				t.Errorf("sequence %q, want %q", got.String(), tc.want)
			}
		})
	}
}

func TestDeadPeerIsSkippedAndNoSessionFails(t *testing.T) {
	dead := straittest.RefusedAddr(t)
	alive := straittest.ServeTCP(t, straittest.Say("alive"))
	tp := startProxy(t, &Handler{Group: newGroup(t, spec(dead, 1), spec(alive, 1)), Proxy: testProxyConfig()})
	for i := range 6 {
		if got := roundTrip(t, tp.addr, ""); got != "alive" {
			t.Fatalf("session %d got %q", i, got)
		}
		rec := tp.record(t)
		if rec.Status != 200 {
			t.Fatalf("session %d status %d", i, rec.Status)
		}
		if i == 0 && (len(rec.Attempts) != 2 || rec.Attempts[0].Addr != dead || rec.Attempts[0].Connected) {
			t.Errorf("first session attempts %+v", rec.Attempts)
		}
	}
	want := fmt.Sprintf(`connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: %s, upstream: "%s"`, tp.addr, dead)
	if !strings.Contains(tp.log.String(), want) {
		t.Errorf("log lacks %q:\n%s", want, tp.log)
	}
	if n := strings.Count(tp.log.String(), "connect() failed"); n != 1 {
		t.Errorf("dead peer tried %d times, want once (max_fails=1 takes it out)", n)
	}
}

// refusingDial fails connections to addr while down is set, as a refused
// connect would.
func refusingDial(addr string, down *atomic.Bool) func(context.Context, string, string) (net.Conn, error) {
	return func(ctx context.Context, network, a string) (net.Conn, error) {
		if a == addr && down.Load() {
			return nil, &net.OpError{Op: "dial", Net: network, Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
		}
		var d net.Dialer
		return d.DialContext(ctx, network, a)
	}
}

func TestMaxFailsRecoveryAfterFailTimeout(t *testing.T) {
	a := straittest.ServeTCP(t, straittest.Say("a"))
	b := straittest.ServeTCP(t, straittest.Say("b"))
	var now atomic.Int64
	now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	sa, sb := spec(a, 1), spec(b, 1)
	sa.MaxFails, sa.FailTimeout = 2, 10*time.Second
	g, err := upstream.NewGroup("backend", []upstream.ServerSpec{sa, sb}, upstream.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	var down atomic.Bool
	down.Store(true)
	tp := startProxy(t, &Handler{Group: g, Proxy: testProxyConfig(), Dial: refusingDial(a, &down), Now: clock})
	run := func(n int) string {
		var s strings.Builder
		for range n {
			s.WriteString(roundTrip(t, tp.addr, ""))
			if rec := tp.record(t); rec.Status != 200 {
				t.Fatalf("status %d", rec.Status)
			}
		}
		return s.String()
	}
	// Two failures take a out; every session still lands on b.
	if got := run(6); got != "bbbbbb" {
		t.Fatalf("while a is down: %q", got)
	}
	down.Store(false)
	if got := run(2); got != "bb" {
		t.Fatalf("a came back before fail_timeout: %q", got)
	}
	now.Add(int64(11 * time.Second))
	if got := run(4); !strings.Contains(got, "a") {
		t.Fatalf("a not used again after fail_timeout: %q", got)
	}
}

func TestUpstreamFailuresEndWith502(t *testing.T) {
	t.Run("single peer refused", func(t *testing.T) {
		tp := startProxy(t, &Handler{Group: newGroup(t, spec(straittest.RefusedAddr(t), 1)), Proxy: testProxyConfig()})
		roundTrip(t, tp.addr, "hello")
		rec := tp.record(t)
		if rec.Status != 502 || len(rec.Attempts) != 1 || rec.UpstreamGroup != "" {
			t.Errorf("status %d attempts %+v group %q", rec.Status, rec.Attempts, rec.UpstreamGroup)
		}
	})
	t.Run("no live upstreams", func(t *testing.T) {
		tp := startProxy(t, &Handler{Group: newGroup(t, spec(straittest.RefusedAddr(t), 1), spec(straittest.RefusedAddr(t), 1)), Proxy: testProxyConfig()})
		roundTrip(t, tp.addr, "")
		if rec := tp.record(t); rec.Status != 502 || len(rec.Attempts) != 2 {
			t.Errorf("first session: status %d attempts %+v", rec.Status, rec.Attempts)
		}
		roundTrip(t, tp.addr, "")
		rec := tp.record(t)
		if rec.Status != 502 || rec.UpstreamGroup != "backend" || len(rec.Attempts) != 0 {
			t.Errorf("second session: status %d group %q attempts %+v", rec.Status, rec.UpstreamGroup, rec.Attempts)
		}
		if want := `no live upstreams while connecting to upstream, client: 127.0.0.1, server: ` + tp.addr + `, upstream: "backend"`; !strings.Contains(tp.log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, tp.log)
		}
	})
	t.Run("next upstream off", func(t *testing.T) {
		cfg := testProxyConfig()
		cfg.NextUpstream = false
		tp := startProxy(t, &Handler{Group: newGroup(t, spec(straittest.RefusedAddr(t), 1), spec(straittest.ServeTCP(t, straittest.Say("b")), 1)), Proxy: cfg})
		if got := roundTrip(t, tp.addr, ""); got != "" {
			t.Errorf("got %q", got)
		}
		if rec := tp.record(t); rec.Status != 502 || len(rec.Attempts) != 1 {
			t.Errorf("status %d attempts %+v", rec.Status, rec.Attempts)
		}
	})
	t.Run("tries limit", func(t *testing.T) {
		cfg := testProxyConfig()
		cfg.NextUpstreamTries = 2
		g := newGroup(t, spec(straittest.RefusedAddr(t), 1), spec(straittest.RefusedAddr(t), 1), spec(straittest.ServeTCP(t, straittest.Say("c")), 1))
		tp := startProxy(t, &Handler{Group: g, Proxy: cfg})
		roundTrip(t, tp.addr, "")
		if rec := tp.record(t); rec.Status != 502 || len(rec.Attempts) != 2 {
			t.Errorf("status %d attempts %+v", rec.Status, rec.Attempts)
		}
	})
}

func TestConnectTimeoutIsLoggedAsUpstreamTimedOut(t *testing.T) {
	cfg := testProxyConfig()
	cfg.ConnectTimeout = 50 * time.Millisecond
	blackhole := func(ctx context.Context, network, addr string) (net.Conn, error) {
		<-ctx.Done()
		return nil, &net.OpError{Op: "dial", Net: network, Err: ctx.Err()}
	}
	tp := startProxy(t, &Handler{Group: newGroup(t, spec("192.0.2.1:9", 1)), Proxy: cfg, Dial: blackhole})
	roundTrip(t, tp.addr, "")
	if rec := tp.record(t); rec.Status != 502 {
		t.Errorf("status %d", rec.Status)
	}
	if want := `upstream timed out (110: Connection timed out) while connecting to upstream`; !strings.Contains(tp.log.String(), want) {
		t.Errorf("log lacks %q:\n%s", want, tp.log)
	}
}

func TestInfoLinesLikeNginx(t *testing.T) {
	up := straittest.ServeTCP(t, straittest.Echo)
	tp := startProxy(t, &Handler{Group: newGroup(t, spec(up, 1)), Proxy: testProxyConfig(), NoDelay: true})
	c := straittest.Dial(t, tp.addr)
	io.WriteString(c, "hello")
	buf := make([]byte, 5)
	io.ReadFull(c, buf)
	c.Close()
	tp.record(t)
	log := tp.log.String()
	for _, want := range []string{
		"*1 proxy 127.0.0.1:",
		" connected to " + up + "\n",
		"*1 client disconnected, bytes from/to client:5/5, bytes from/to upstream:5/5\n",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

func TestProxyProtocolHeaderGoesFirstToUpstream(t *testing.T) {
	lines := make(chan string, 1)
	up := straittest.ServeTCP(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		line, _ := br.ReadString('\n')
		rest, _ := io.ReadAll(br)
		lines <- line + string(rest)
	})
	cfg := testProxyConfig()
	cfg.ProxyProtocol = true
	tp := startProxy(t, &Handler{Group: newGroup(t, spec(up, 1)), Proxy: cfg, NoDelay: true})
	c := straittest.Dial(t, tp.addr)
	io.WriteString(c, "payload")
	c.(*net.TCPConn).CloseWrite()
	io.ReadAll(c)
	_, cport, _ := net.SplitHostPort(c.LocalAddr().String())
	_, pport, _ := net.SplitHostPort(tp.addr)
	c.Close()
	want := fmt.Sprintf("PROXY TCP4 127.0.0.1 127.0.0.1 %s %s\r\npayload", cport, pport)
	if got := <-lines; got != want {
		t.Errorf("upstream got %q, want %q", got, want)
	}
	tp.record(t)
}

func TestIdleTimeout(t *testing.T) {
	for _, buffered := range []bool{false, true} {
		t.Run(fmt.Sprintf("buffered=%v", buffered), func(t *testing.T) {
			up := straittest.ServeTCP(t, straittest.Echo)
			cfg := testProxyConfig()
			cfg.Timeout = 300 * time.Millisecond
			h := &Handler{Group: newGroup(t, spec(up, 1)), Proxy: cfg, NoDelay: true, Buffers: NewBufferPool(4096)}
			if buffered {
				h.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
					var d net.Dialer
					c, err := d.DialContext(ctx, network, addr)
					return plainConn{c}, err
				}
			}
			tp := startProxy(t, h)
			c := straittest.Dial(t, tp.addr)
			defer c.Close()
			// Activity every 100ms, for well over the timeout, then
			// silence. The assertion is on the order of events, not on
			// durations a loaded machine could stretch: the session may
			// end only proxy_timeout after the last activity, since the
			// proxy saw that activity after the client wrote it. A timer
			// that did not restart on activity would end the session
			// about 100ms after the last round instead.
			buf := make([]byte, 1)
			var lastWrite time.Time
			for range 8 {
				now := time.Now()
				if _, err := c.Write([]byte{'x'}); err != nil {
					break
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					break // ended: by idleness if a sleep overran the timeout
				}
				lastWrite = now
				time.Sleep(100 * time.Millisecond)
			}
			if lastWrite.IsZero() {
				t.Fatal("the first round failed")
			}
			if n, err := c.Read(buf); err == nil {
				t.Fatalf("read %d bytes after idling", n)
			}
			if idle := time.Since(lastWrite); idle < cfg.Timeout {
				t.Errorf("the session ended %v after the last activity, before proxy_timeout %v", idle, cfg.Timeout)
			}
			rec := tp.record(t)
			if rec.Status != 200 {
				t.Errorf("status %d", rec.Status)
			}
			if !strings.Contains(tp.log.String(), "connection timed out (110: Connection timed out) while proxying connection") {
				t.Errorf("no timeout line:\n%s", tp.log)
			}
		})
	}
}

func TestCancelCutsSession(t *testing.T) {
	up := straittest.ServeTCP(t, straittest.Echo)
	h := &Handler{Group: newGroup(t, spec(up, 1)), Proxy: testProxyConfig()}
	ln := straittest.Listen(t)
	defer ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		rec := newRecord()
		h.Serve(ctx, &Session{Client: c, Log: discardLogger(), Record: rec})
	}()
	c := straittest.Dial(t, ln.Addr().String())
	defer c.Close()
	io.WriteString(c, "x")
	b := make([]byte, 1)
	io.ReadFull(c, b)
	cancel()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(b); err == nil {
		t.Fatal("session still open after cancel")
	}
	<-done
}

// TestRateLimitedCopyKeepsBytes sends 64 KiB each way at 1 MiB/s: the
// limiter splits each buffer into paced chunks (the first second allows
// all of it, each chunk delaying the next by its share of the second), and
// the bytes must arrive whole and in order.
func TestRateLimitedCopyKeepsBytes(t *testing.T) {
	up := straittest.ServeTCP(t, straittest.Echo)
	cfg := testProxyConfig()
	cfg.UploadRate, cfg.DownloadRate = 1<<20, 1<<20
	tp := startProxy(t, &Handler{Group: newGroup(t, spec(up, 1)), Proxy: cfg, Buffers: NewBufferPool(8192)})
	msg := strings.Repeat("0123456789abcdef", 4096) // 64 KiB: beyond one burst
	c := straittest.Dial(t, tp.addr)
	defer c.Close()
	go io.WriteString(c, msg)
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != msg {
		t.Fatalf("echo through rate limits: %v", err)
	}
	c.Close()
	tp.record(t)
}
