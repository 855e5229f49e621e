//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// udpAnswerWait is how long a client waits for one answer before it
// counts the query as lost and sends the next.
const udpAnswerWait = 500 * time.Millisecond

// udpLoadResult is what the DNS query load measured.
type udpLoadResult struct {
	Answered int64
	Lost     int64 // no answer within udpAnswerWait
	Elapsed  time.Duration
	LastErr  error
}

// rate is answered queries per second.
func (r udpLoadResult) rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Answered) / r.Elapsed.Seconds()
}

// check fails a run that lost more than 1% of its queries: loopback loses
// datagrams only when a socket's buffer overflows, and a rate measured
// past that point says more about retries than about the proxy.
func (r udpLoadResult) check() error {
	sent := r.Answered + r.Lost
	if r.Answered == 0 || r.Lost*100 > sent {
		return fmt.Errorf("%d of %d queries unanswered (last error: %v)", r.Lost, sent, r.LastErr)
	}
	return nil
}

// udpQueryLoad runs workers clients for d, each on a UDP socket of its
// own (a client address and port, so a session of its own in the proxy)
// sending one query and waiting for its answer, in a loop. Whether each
// query is a session of its own or all of a client's share one is the
// route's proxy_responses, not the client's doing.
func udpQueryLoad(ctx context.Context, addr string, workers int, d time.Duration) udpLoadResult {
	deadline := time.Now().Add(d)
	var answered, lost atomic.Int64
	var lastErr atomic.Value
	start := time.Now()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			c, err := net.Dial("udp", addr)
			if err != nil {
				lastErr.Store(err)
				return
			}
			defer c.Close()
			q := make([]byte, 0, 64)
			buf := make([]byte, 1500)
			// Ids differ between workers, so a stray answer is never
			// taken for another's.
			id := uint16(w << 10)
			for ctx.Err() == nil && time.Now().Before(deadline) {
				id++
				q = appendDNSQuery(q[:0], id, "bench.strait.test")
				if err := exchangeDNS(c, q, id, buf, time.Now().Add(udpAnswerWait)); err != nil {
					lost.Add(1)
					lastErr.Store(err)
					continue
				}
				answered.Add(1)
			}
		})
	}
	wg.Wait()
	res := udpLoadResult{Answered: answered.Load(), Lost: lost.Load(), Elapsed: time.Since(start)}
	if e, ok := lastErr.Load().(error); ok {
		res.LastErr = e
	}
	return res
}

// exchangeDNS sends q and reads until the answer with id comes; answers
// to earlier, timed-out queries are skipped.
func exchangeDNS(c net.Conn, q []byte, id uint16, buf []byte, deadline time.Time) error {
	if _, err := c.Write(q); err != nil {
		return err
	}
	_ = c.SetReadDeadline(deadline)
	for range 64 {
		n, err := c.Read(buf)
		if err != nil {
			return err
		}
		got, err := dnsAnswerID(buf[:n])
		if err != nil {
			return err
		}
		if got == id {
			return nil
		}
	}
	return errors.New("no answer with the query's id")
}

// openUDPSessions opens n client sockets, parallel at a time, each proven
// end to end by one answered query, and leaves them open: through a
// proxy each is a session that then sits idle. A query is retried a few
// times, as opening thousands at once can overflow a socket buffer.
func openUDPSessions(ctx context.Context, addr string, n, parallel int, timeout time.Duration) ([]net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conns := make([]net.Conn, n)
	var firstErr error
	var mu sync.Mutex
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			c, err := openUDPSession(ctx, addr, uint16(i))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			conns[i] = c
		})
	}
	wg.Wait()
	open := conns[:0]
	for _, c := range conns {
		if c != nil {
			open = append(open, c)
		}
	}
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	if len(open) < n {
		return open, fmt.Errorf("%d of %d sessions opened: %w", len(open), n, firstErr)
	}
	return open, nil
}

func openUDPSession(ctx context.Context, addr string, id uint16) (net.Conn, error) {
	c, err := net.Dial("udp", addr)
	if err != nil {
		return nil, err
	}
	q := appendDNSQuery(nil, id, "idle.strait.test")
	buf := make([]byte, 1500)
	for range 5 {
		if err = exchangeDNS(c, q, id, buf, time.Now().Add(udpAnswerWait)); err == nil {
			return c, nil
		}
		if ctx.Err() != nil || !errors.Is(err, os.ErrDeadlineExceeded) {
			break
		}
	}
	c.Close()
	return nil, err
}

// waitAnswering waits until addr answers a DNS query, the UDP form of
// waitListening: a proxy binds its UDP socket at start, so the first
// answer says it is serving.
func waitAnswering(ctx context.Context, p *process, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for attempt := 0; ; attempt++ {
		if exited, err := p.Exited(); exited {
			return fmt.Errorf("%s exited before answering on udp %s: %v", p.name, addr, err)
		}
		c, err := openUDPSession(ctx, addr, uint16(attempt))
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) || attempt > 200 || ctx.Err() != nil {
			return fmt.Errorf("%s not answering on udp %s after %v: %w", p.name, addr, timeout, err)
		}
		settle(ctx, 20*time.Millisecond)
	}
}
