//go:build linux

package proxy

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/straittest"
)

// readWriteEcho echoes with plain reads and writes: straittest.Echo's
// io.Copy would splice through the runtime's own pipes in this process.
func readWriteEcho(c net.Conn) {
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// An idle plain session holds its two sockets and nothing else: the
// spliced flows wait for data without a pipe, and pipes go back to the
// pool (and are closed beyond its idle limit) as soon as a burst is over.
//
// On goroutines every burst splices; on the event loop only bulk bursts
// (a read that fills the buffer) do, so there one session also sends a
// bulk burst.
func TestIdleSplicedSessionsHoldNoPipe(t *testing.T) {
	t.Run("goroutines", func(t *testing.T) { testIdleSessionsHoldNoPipe(t, false) })
	t.Run("event loop", func(t *testing.T) { testIdleSessionsHoldNoPipe(t, true) })
}

func testIdleSessionsHoldNoPipe(t *testing.T, loop bool) {
	up := straittest.ServeTCP(t, readWriteEcho)
	budget := &countingBudget{max: 1 << 20}
	pipes := NewPipePool(2, budget)
	h := &Handler{Group: newGroup(t, spec(up, 1)), Proxy: testProxyConfig(), NoDelay: true,
		Buffers: NewBufferPool(16 << 10), Pipes: pipes}
	var tp *testProxy
	if loop {
		tp = startProxy(t, h)
	} else {
		tp = startProxyGoroutines(t, h)
	}
	const sessions = 20
	conns := make([]net.Conn, 0, sessions)
	for range sessions {
		c := straittest.Dial(t, tp.addr)
		defer c.Close()
		for i := range 3 {
			if _, err := io.WriteString(c, "ping"); err != nil {
				t.Fatal(err)
			}
			var got [4]byte
			if _, err := io.ReadFull(c, got[:]); err != nil || string(got[:]) != "ping" {
				t.Fatalf("round %d: got %q, %v", i, got, err)
			}
		}
		conns = append(conns, c)
	}
	if loop {
		const burst = 1 << 20
		sent := make(chan error, 1)
		go func() {
			_, err := conns[0].Write(make([]byte, burst))
			sent <- err
		}()
		if _, err := io.ReadFull(conns[0], make([]byte, burst)); err != nil {
			t.Fatal(err)
		}
		if err := <-sent; err != nil {
			t.Fatal(err)
		}
	}
	// A flow gives its pipe back right after its last write; wait for
	// that, bounded.
	lent := pipes.lent()
	for i := 0; i < 200 && lent != 0; i++ {
		time.Sleep(10 * time.Millisecond)
		lent = pipes.lent()
	}
	if lent != 0 {
		t.Errorf("%d idle sessions hold %d pipes, want none", sessions, lent)
	}
	if open := pipes.Open(); open == 0 || open > 2 || budget.inUse() != 2*open {
		t.Errorf("%d pipes open (want 1 or 2: spliced, idle limit 2), budget counts %d descriptors", open, budget.inUse())
	}
	for _, c := range conns {
		c.Close()
		tp.record(t)
	}
	pipes.Close()
	if pipes.Open() != 0 || budget.inUse() != 0 {
		t.Errorf("after the sessions and the pool closed: %d pipes open, %d descriptors counted", pipes.Open(), budget.inUse())
	}
}

func TestPipePoolKeepsItsBudgetAndIdleLimit(t *testing.T) {
	budget := &countingBudget{max: 6}
	pp := NewPipePool(1, budget)
	a, b, c := pp.get(), pp.get(), pp.get()
	if a == nil || b == nil || c == nil {
		t.Fatal("three pipes fit a budget of six descriptors")
	}
	if pp.get() != nil {
		t.Fatal("a fourth pipe was lent beyond the budget")
	}
	c.data = 1
	pp.put(c) // holds bytes: closed
	pp.put(b) // kept idle
	pp.put(a) // beyond maxIdle: closed
	if got, used := pp.Open(), budget.inUse(); got != 1 || used != 2 {
		t.Fatalf("%d pipes open, %d descriptors counted after giving three back; want the one idle, 2", got, used)
	}
	if d := pp.get(); d != b {
		t.Fatal("the idle pipe was not lent again")
	}
	x, y := pp.get(), pp.get()
	pp.put(b) // the budget is spent: closed, not kept
	if got := pp.Open(); got != 2 {
		t.Fatalf("%d pipes open, want 2: a pipe given back while descriptors are scarce stays open", got)
	}
	pp.put(x)
	pp.put(y)
	if n := pp.Trim(); n != 1 || pp.Open() != 0 || budget.inUse() != 0 {
		t.Fatalf("trim closed %d, open %d, budget %d; want 1, 0, 0", n, pp.Open(), budget.inUse())
	}
	e := pp.get()
	pp.Close()
	pp.put(e) // after Close: closed, not kept
	if pp.Open() != 0 || budget.inUse() != 0 {
		t.Fatalf("after close: open %d, budget %d", pp.Open(), budget.inUse())
	}
}
