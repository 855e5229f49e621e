//go:build linux

package main

import (
	"bufio"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// upstreamKind is what a harness upstream does with a connection.
type upstreamKind int

const (
	kindPing upstreamKind = iota // answers each "PING" line with "+PONG"
	kindEcho                     // writes back what it reads
	kindSink                     // reads an 8-byte length, discards that many bytes, acks with one byte
)

// handshakeCount is what a TLS upstream saw: full and resumed handshakes.
type handshakeCount struct{ Total, Resumed int64 }

// ResumedShare is the share of handshakes that resumed a session, in %.
func (h handshakeCount) ResumedShare() float64 {
	if h.Total == 0 {
		return 0
	}
	return 100 * float64(h.Resumed) / float64(h.Total)
}

// goUpstream is one listener of the harness's own upstream server. It runs
// in the harness process so it can count resumed handshakes.
type goUpstream struct {
	kind    upstreamKind
	tls     *tls.Config // nil for plain
	ln      net.Listener
	total   atomic.Int64
	resumed atomic.Int64

	mu     sync.Mutex
	curves map[tls.CurveID]int64 // key exchanges seen
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

func startGoUpstream(kind upstreamKind, cfg *tls.Config) (*goUpstream, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("upstream listen: %w", err)
	}
	u := &goUpstream{kind: kind, tls: cfg, ln: ln, conns: map[net.Conn]struct{}{}, curves: map[tls.CurveID]int64{}}
	u.wg.Add(1)
	go u.acceptLoop()
	return u, nil
}

// Addr is the upstream's host:port.
func (u *goUpstream) Addr() string { return u.ln.Addr().String() }

// Handshakes returns the counts so far; callers subtract two readings.
func (u *goUpstream) Handshakes() handshakeCount {
	return handshakeCount{Total: u.total.Load(), Resumed: u.resumed.Load()}
}

func (u *goUpstream) acceptLoop() {
	defer u.wg.Done()
	for {
		c, err := u.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond) // e.g. EMFILE: back off, don't spin
			continue
		}
		if !u.track(c) {
			c.Close()
			return
		}
		go u.serve(c)
	}
}

func (u *goUpstream) track(c net.Conn) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed {
		return false
	}
	u.conns[c] = struct{}{}
	return true
}

func (u *goUpstream) untrack(c net.Conn) {
	u.mu.Lock()
	delete(u.conns, c)
	u.mu.Unlock()
	c.Close()
}

func (u *goUpstream) serve(raw net.Conn) {
	defer u.untrack(raw)
	var c net.Conn = raw
	if u.tls != nil {
		tc := tls.Server(raw, u.tls)
		_ = raw.SetDeadline(time.Now().Add(10 * time.Second))
		if err := tc.Handshake(); err != nil {
			return
		}
		_ = raw.SetDeadline(time.Time{})
		st := tc.ConnectionState()
		u.total.Add(1)
		if st.DidResume {
			u.resumed.Add(1)
		}
		u.mu.Lock()
		u.curves[st.CurveID]++
		u.mu.Unlock()
		c = tc
	}
	switch u.kind {
	case kindPing:
		servePing(c)
	case kindEcho:
		buf := make([]byte, 16<<10)
		_, _ = io.CopyBuffer(c, struct{ io.Reader }{c}, buf)
	case kindSink:
		serveSink(c)
	}
}

// servePing speaks just enough RESP for inline PING.
func servePing(c net.Conn) {
	r := bufio.NewReader(c)
	for range 1 << 20 {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		if strings.EqualFold(strings.TrimSpace(line), "PING") {
			if _, err := io.WriteString(c, "+PONG\r\n"); err != nil {
				return
			}
		}
	}
}

func serveSink(c net.Conn) {
	var hdr [8]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		return
	}
	n := int64(binary.BigEndian.Uint64(hdr[:]))
	buf := make([]byte, 256<<10)
	got, err := io.CopyBuffer(io.Discard, io.LimitReader(struct{ io.Reader }{c}, n), buf)
	if err != nil || got != n {
		return
	}
	_, _ = c.Write([]byte{1})
}

// KeyExchanges returns how often each key exchange group was negotiated;
// clients that offer post-quantum hybrids pay more per handshake, which
// the report should say.
func (u *goUpstream) KeyExchanges() map[tls.CurveID]int64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := make(map[tls.CurveID]int64, len(u.curves))
	for k, v := range u.curves {
		out[k] = v
	}
	return out
}

// mostUsedKeyExchange names the group negotiated most often between two
// readings of KeyExchanges.
func mostUsedKeyExchange(before, after map[tls.CurveID]int64) string {
	var best tls.CurveID
	var bestN int64
	for k, v := range after {
		if n := v - before[k]; n > bestN || (n == bestN && n > 0 && k < best) {
			best, bestN = k, n
		}
	}
	if bestN == 0 {
		return ""
	}
	return best.String()
}

// Close stops accepting and closes every open connection.
func (u *goUpstream) Close() {
	u.mu.Lock()
	u.closed = true
	for c := range u.conns {
		c.Close()
	}
	u.mu.Unlock()
	u.ln.Close()
	u.wg.Wait()
}
