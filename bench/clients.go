//go:build linux

package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// connLoadResult is what the connection-per-request client measured.
type connLoadResult struct {
	Conns   int64
	Errors  int64
	Elapsed time.Duration
	LastErr error
}

// connectionLoad runs workers goroutines for d, each looping: connect,
// PING, read +PONG, close. Each worker stops after maxPerWorker rounds.
func connectionLoad(ctx context.Context, in *instance, id string, workers int, d time.Duration, maxPerWorker int) connLoadResult {
	deadline := time.Now().Add(d)
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	// Past the deadline a dial fails at once with "i/o timeout" even before
	// ctx's timer has fired under load; the clock, not ctx.Err, decides.
	over := func() bool { return ctx.Err() != nil || !time.Now().Before(deadline) }
	var ok, failed atomic.Int64
	var lastErr atomic.Value
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < maxPerWorker && !over(); i++ {
				if err := pingOnce(ctx, in, id); err != nil {
					if over() {
						return // the deadline cut this one short; not a failure
					}
					failed.Add(1)
					lastErr.Store(err)
					continue
				}
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	res := connLoadResult{Conns: ok.Load(), Errors: failed.Load(), Elapsed: time.Since(start)}
	if e, isErr := lastErr.Load().(error); isErr {
		res.LastErr = e
	}
	return res
}

var pong = []byte("+PONG\r\n")

func pingOnce(ctx context.Context, in *instance, id string) error {
	c, err := in.dial(ctx, id)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, "PING\r\n"); err != nil {
		return err
	}
	var buf [7]byte
	if _, err := io.ReadFull(c, buf[:]); err != nil {
		return fmt.Errorf("read pong: %w", err)
	}
	if string(buf[:]) != string(pong) {
		return fmt.Errorf("unexpected reply %q", buf[:])
	}
	return nil
}

// bulkTransfer sends total bytes split evenly over sessions connections at
// once to a sink route and waits for every acknowledgement.
func bulkTransfer(ctx context.Context, in *instance, id string, total int64, sessions int, timeout time.Duration) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	per := total / int64(sessions)
	payload := make([]byte, 256<<10)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	start := time.Now()
	errs := make(chan error, sessions)
	for range sessions {
		go func() { errs <- sendBulk(ctx, in, id, per, payload) }()
	}
	var first error
	for range sessions {
		if err := <-errs; err != nil && first == nil {
			first = err
			cancel() // no point waiting for the others
		}
	}
	return time.Since(start), first
}

func sendBulk(ctx context.Context, in *instance, id string, n int64, payload []byte) error {
	c, err := in.dial(ctx, id)
	if err != nil {
		return err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	var hdr [8]byte
	binary.BigEndian.PutUint64(hdr[:], uint64(n))
	if _, err := c.Write(hdr[:]); err != nil {
		return err
	}
	for left := n; left > 0; {
		chunk := payload
		if left < int64(len(chunk)) {
			chunk = chunk[:left]
		}
		w, err := c.Write(chunk)
		if err != nil {
			return fmt.Errorf("bulk write: %w", err)
		}
		left -= int64(w)
	}
	var ack [1]byte
	if _, err := io.ReadFull(c, ack[:]); err != nil {
		return fmt.Errorf("bulk ack: %w", err)
	}
	return nil
}

// echoLatencies sends size-byte messages one at a time over one
// connection and returns each round trip, after warmup unmeasured ones.
func echoLatencies(ctx context.Context, in *instance, id string, size, warmup, count int, timeout time.Duration) ([]time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := in.dial(ctx, id)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	msg := make([]byte, size)
	reply := make([]byte, size)
	out := make([]time.Duration, 0, count)
	for i := 0; i < warmup+count; i++ {
		t0 := time.Now()
		if _, err := c.Write(msg); err != nil {
			return nil, fmt.Errorf("echo write: %w", err)
		}
		if _, err := io.ReadFull(c, reply); err != nil {
			return nil, fmt.Errorf("echo read: %w", err)
		}
		if i >= warmup {
			out = append(out, time.Since(t0))
		}
	}
	return out, nil
}

// openIdle opens n sessions through an echo route, each proven established
// end to end by one echoed byte, with parallel dialers. The caller closes
// the returned connections, also on error.
func openIdle(ctx context.Context, in *instance, id string, n, parallel int, timeout time.Duration) ([]net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conns := make([]net.Conn, n)
	var next atomic.Int64
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				c, err := openOneIdle(ctx, in, id)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("session %d: %w", i, err)
					cancel()
				}
				conns[i] = c
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	out := conns[:0]
	for _, c := range conns {
		if c != nil {
			out = append(out, c)
		}
	}
	if firstErr == nil && len(out) < n {
		firstErr = fmt.Errorf("opened %d of %d sessions: %w", len(out), n, ctx.Err())
	}
	return out, firstErr
}

func openOneIdle(ctx context.Context, in *instance, id string) (net.Conn, error) {
	c, err := in.dial(ctx, id)
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	var b [1]byte
	if _, err := c.Write([]byte{'x'}); err == nil {
		_, err = io.ReadFull(c, b[:])
	}
	if err != nil {
		c.Close()
		return nil, errors.Join(errors.New("idle session echo"), err)
	}
	_ = c.SetDeadline(time.Time{})
	return c, nil
}

// percentile returns the p-th percentile (0..100) of ds by nearest rank.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := int(math.Ceil(p/100*float64(len(s)))) - 1
	rank = max(0, min(rank, len(s)-1))
	return s[rank]
}
