package server

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/straittest"
)

func TestWorkerConnectionsCountListenersClientsAndUpstreams(t *testing.T) {
	for _, tt := range []struct {
		workerConnections, listeners, sessions int
	}{
		{1, 1, 0},
		{2, 1, 0},
		{3, 1, 1},
		{4, 1, 1},
		{5, 1, 2},
		{512, 1, 255}, // the default: 255 proxied sessions, as nginx
		{512, 3, 254},
		{0, 1, 1000}, // no limit set
	} {
		t.Run(fmt.Sprintf("%d-%d", tt.workerConnections, tt.listeners), func(t *testing.T) {
			tab := newConnTable()
			tab.setLimits(tableLimits{workerConnections: tt.workerConnections, listeners: tt.listeners})
			n := 0
			for n < 1000 && tab.tryAdmit() {
				n++
			}
			if n != tt.sessions {
				t.Fatalf("admitted %d sessions, want %d", n, tt.sessions)
			}
			if conns, _ := tab.counts(); tt.workerConnections > 0 && conns+tt.listeners > tt.workerConnections {
				t.Errorf("%d connections and %d listeners exceed worker_connections %d", conns, tt.listeners, tt.workerConnections)
			}
			if n > 0 {
				tab.leave()
				if !tab.tryAdmit() {
					t.Error("no room after a session left")
				}
			}
		})
	}
}

func TestDescriptorLimitKeepsAReserveThatPipesMayUse(t *testing.T) {
	const other = 50 // descriptors open for other uses
	tab := newConnTable()
	limit := other + 2*10 + descriptorReserve(0)
	tab.setLimits(tableLimits{workerConnections: 1 << 20, listeners: 1, fileLimit: limit, openFiles: other})
	n := 0
	for n < 100 && tab.tryAdmit() {
		n++
	}
	if n != 10 {
		t.Fatalf("admitted %d sessions, want 10", n)
	}
	if !tab.Scarce() {
		t.Error("descriptors not scarce with the reserve reached")
	}
	pipes := 0
	for pipes < 100 && tab.TakeDescriptors(2) {
		pipes++
	}
	if pipes != descriptorReserve(0)/2 {
		t.Errorf("%d pipes fit in the reserve, want %d", pipes, descriptorReserve(0)/2)
	}
	if _, fds := tab.counts(); fds+other > limit {
		t.Errorf("%d descriptors counted and %d others exceed the limit %d", fds, other, limit)
	}
	// A reload measures again: what the table counts is not "other".
	tab.setLimits(tableLimits{workerConnections: 1 << 20, listeners: 1, fileLimit: limit, openFiles: other + 2*n + 2*pipes})
	if tab.tryAdmit() {
		t.Error("admitted beyond the limit after measuring again")
	}
	for range pipes {
		tab.ReturnDescriptors(2)
	}
	tab.leave()
	if !tab.tryAdmit() {
		t.Error("no room after a session left")
	}
}

// Sessions beyond the open-files limit wait in the backlog; every session
// accepted reaches its upstream. (The listener is a unix socket so that
// the test needs no free TCP port.)
func TestDescriptorLimitPausesAcceptNotDials(t *testing.T) {
	dir := t.TempDir()
	var upstreamConns atomic.Int64
	up := straittest.ServeTCP(t, func(c net.Conn) {
		upstreamConns.Add(1)
		straittest.Echo(c)
	})
	cfg := mustConfig(t, dir, fmt.Sprintf(`
events { worker_connections 1000; }
stream { server { listen unix:{{dir}}/strait.sock; proxy_pass %s; } }`, up))
	const sessions, other = 3, 1000
	limit := other + 2*sessions + descriptorReserve(0)
	ts := startServerWith(t, cfg, Options{Descriptors: func() (int, int) { return limit, other }})
	dial := func() net.Conn {
		c, err := net.Dial("unix", filepath.Join(dir, "strait.sock"))
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(straittest.ConnDeadline))
		t.Cleanup(func() { c.Close() })
		return c
	}
	var open []net.Conn
	for i := range sessions {
		c := dial()
		if err := echoOnce(c, "x"); err != nil {
			t.Fatalf("session %d: %v", i, err)
		}
		open = append(open, c)
	}
	waitFor(t, "the descriptor limit to be logged", func() bool {
		return strings.Contains(ts.log.String(), "[crit] 1#1: accept() failed (24: Too many open files)\n")
	})
	waiting := dial()
	if _, err := waiting.Write([]byte("y")); err != nil {
		t.Fatal(err)
	}
	if st := ts.Stats(); st.Accepted != sessions || upstreamConns.Load() != sessions {
		t.Fatalf("at the limit: accepted %d, upstream connections %d; want %d", st.Accepted, upstreamConns.Load(), sessions)
	}
	if log := ts.log.String(); strings.Contains(log, "[error]") || strings.Contains(log, "[alert]") {
		t.Errorf("errors at the limit:\n%s", log)
	}
	// A session ending makes room for the one waiting.
	open[0].Close()
	buf := make([]byte, 1)
	if _, err := waiting.Read(buf); err != nil || buf[0] != 'y' {
		t.Fatalf("waiting session after one ended: %q, %v", buf, err)
	}
}
