package server

import (
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/straitproxy/strait/internal/straittest"
)

func openFDs(t testing.TB) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func TestNoGoroutineOrFDLeakAfterManySessions(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Fatalf("needs /proc: %v", err)
	}
	dir := t.TempDir()
	// The upstream answers and closes first, and so does the proxy
	// towards the client: TIME_WAIT then sits on listening ports, not on
	// thousands of ephemeral ports that later tests may want to bind.
	up := straittest.ServeTCP(t, func(c net.Conn) {
		buf := make([]byte, len("leak check"))
		if _, err := io.ReadFull(c, buf); err == nil {
			c.Write(buf)
		}
	})
	refused := straittest.RefusedAddr(t)
	ln, port := listenPort(t)
	ln2, port2 := listenPort(t)
	cfg := mustConfig(t, dir, fmt.Sprintf(`
events { worker_connections 256; }
stream {
    %s
    upstream mixed { server %s; server %s; }
    server { listen 127.0.0.1:%s; proxy_pass %s; access_log {{dir}}/access.log proxy; }
    server { listen 127.0.0.1:%s; proxy_pass mixed; }
}`, proxyFormat, refused, up, port, up, port2))
	// Baseline after the upstream listener exists, before the server.
	runtime.GC()
	before := openFDs(t)
	ignoreExisting := goleak.IgnoreCurrent()

	ts := startServer(t, cfg, ln, ln2)
	const sessions, workers = 10000, 32
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < sessions; i += workers {
				addr := "127.0.0.1:" + port
				if i%4 == 3 {
					addr = "127.0.0.1:" + port2
				}
				c, err := net.Dial("tcp", addr)
				if err != nil {
					errs <- err
					return
				}
				c.SetDeadline(time.Now().Add(10 * time.Second))
				err = echoOnce(c, "leak check")
				if err == nil {
					_, err = io.ReadAll(c) // wait for the proxy to close
				}
				c.Close()
				if err != nil {
					errs <- fmt.Errorf("session %d: %w", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	waitFor(t, "all sessions to finish", func() bool { return ts.Stats().Active == 0 })
	if st := ts.Stats(); st.Statuses[200] != sessions {
		t.Fatalf("statuses %v, want %d sessions with 200", st.Statuses, sessions)
	}
	ts.Close()
	<-ts.done
	ts.done <- nil

	// Splice pipes are closed by Close, not left to the garbage collector.
	after := openFDs(t)
	if after > before {
		t.Errorf("open fds: %d before, %d after 10000 sessions", before, after)
	}
	if err := goleak.Find(ignoreExisting); err != nil {
		t.Errorf("goroutines left: %v", err)
	}
}
