package proxy

import (
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/straittest"
)

// TestManySessionsEveryMessageAnswered runs many sessions at once, each a
// string of small request-reply exchanges, the load under which the event
// loops park and wake between almost every message: a wake-up the loops
// lost would leave a reply unsent and its client waiting past its
// deadline.
func TestManySessionsEveryMessageAnswered(t *testing.T) {
	const (
		sessions  = 64
		exchanges = 200
	)
	up := straittest.ServeTCP(t, straittest.Echo)
	tp := startProxy(t, &Handler{Group: newGroup(t, spec(up, 1)), Proxy: testProxyConfig()})
	errs := make(chan error, sessions)
	var wg sync.WaitGroup
	for i := range sessions {
		c := straittest.Dial(t, tp.addr)
		c.SetDeadline(time.Now().Add(20 * time.Second))
		wg.Go(func() {
			buf := make([]byte, 64)
			for j := range exchanges {
				msg := fmt.Sprintf("session %d message %d\n", i, j)
				if _, err := io.WriteString(c, msg); err != nil {
					errs <- fmt.Errorf("session %d message %d: %v", i, j, err)
					return
				}
				if _, err := io.ReadFull(c, buf[:len(msg)]); err != nil {
					errs <- fmt.Errorf("session %d message %d: no reply: %v", i, j, err)
					return
				}
				if got := string(buf[:len(msg)]); got != msg {
					errs <- fmt.Errorf("session %d: reply %q, want %q", i, got, msg)
					return
				}
			}
			c.Close()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for range sessions {
		tp.record(t)
	}
}
