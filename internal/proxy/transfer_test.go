package proxy

import (
	"context"
	"encoding/binary"
	"hash/maphash"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/straittest"
)

func testProxyConfig() config.Proxy {
	return config.Proxy{
		ConnectTimeout: 5 * time.Second,
		Timeout:        time.Minute,
		BufferSize:     16 << 10,
		NextUpstream:   true,
	}
}

// hashSeed is shared by both ends so their digests compare.
var hashSeed = maphash.MakeSeed()

// sendStream writes n pseudo-random bytes from seed to w and returns their
// digest. Nothing is buffered beyond one chunk.
func sendStream(w io.Writer, seed uint64, n int64) (uint64, error) {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	rng := rand.NewChaCha8(key)
	var h maphash.Hash
	h.SetSeed(hashSeed)
	buf := make([]byte, 128<<10)
	for n > 0 {
		b := buf[:min(int64(len(buf)), n)]
		rng.Read(b)
		h.Write(b)
		if _, err := w.Write(b); err != nil {
			return 0, err
		}
		n -= int64(len(b))
	}
	return h.Sum64(), nil
}

// recvStream reads up to limit bytes (or to EOF when limit < 0) and returns
// their digest and count.
func recvStream(r io.Reader, limit int64) (uint64, int64, error) {
	var h maphash.Hash
	h.SetSeed(hashSeed)
	if limit >= 0 {
		r = io.LimitReader(r, limit)
	}
	n, err := io.CopyBuffer(&h, r, make([]byte, 128<<10))
	return h.Sum64(), n, err
}

// plainConn hides *net.TCPConn so the proxy takes its buffered path.
type plainConn struct{ net.Conn }

func (c plainConn) CloseWrite() error { return c.Conn.(*net.TCPConn).CloseWrite() }

func TestTransferIsByteExactBothWaysAtOnce(t *testing.T) {
	const big = 256 << 20
	for _, tc := range []struct {
		name      string
		halfClose bool
		buffered  bool
		size      int64
		noPipes   bool // the descriptor budget refuses every pipe
		// goroutines runs the session without the event-loop engine.
		goroutines bool
	}{
		{"event loop", false, false, big, false, false},
		{"event loop half-close", true, false, big, false, false},
		{"event loop without pipes to spare", false, false, 32 << 20, true, false},
		{"spliced on goroutines", false, false, 64 << 20, false, true},
		{"spliced half-close on goroutines", true, false, 64 << 20, false, true},
		{"buffered", false, true, 32 << 20, false, false},
		{"buffered half-close", true, true, 32 << 20, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := tc.size
			type sums struct{ got, sent uint64 }
			upDone := make(chan sums, 1)
			upAddr := straittest.ServeTCP(t, func(c net.Conn) {
				// Reply while receiving; with half-close, the second
				// half of the reply goes out only after the client's EOF.
				received := make(chan struct{})
				var got uint64
				var wg sync.WaitGroup
				wg.Go(func() {
					limit := n
					if tc.halfClose {
						limit = -1
					}
					got, _, _ = recvStream(c, limit)
					close(received)
				})
				w := &gateWriter{w: c, at: n, gate: received}
				if tc.halfClose {
					w.at = n / 2
				}
				sent, _ := sendStream(w, 2, n)
				wg.Wait()
				upDone <- sums{got, sent}
			})
			h := &Handler{Group: newGroup(t, spec(upAddr, 1)), Proxy: testProxyConfig(), NoDelay: true, Buffers: NewBufferPool(16 << 10)}
			h.Proxy.HalfClose = tc.halfClose
			if tc.noPipes {
				h.Pipes = NewPipePool(4, &countingBudget{})
			}
			if tc.buffered {
				h.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
					var d net.Dialer
					c, err := d.DialContext(ctx, network, addr)
					if err != nil {
						return nil, err
					}
					return plainConn{c}, nil
				}
			}
			var tp *testProxy
			if tc.goroutines {
				tp = startProxyGoroutines(t, h)
			} else {
				tp = startProxy(t, h)
			}

			c := straittest.Dial(t, tp.addr)
			defer c.Close()
			c.SetDeadline(time.Now().Add(90 * time.Second))
			var sent uint64
			var sendErr error
			var wg sync.WaitGroup
			wg.Go(func() {
				sent, sendErr = sendStream(c, 1, n)
				if tc.halfClose {
					c.(*net.TCPConn).CloseWrite()
				}
			})
			got, count, err := recvStream(c, -1)
			wg.Wait()
			if err != nil || sendErr != nil {
				t.Fatalf("client: recv %v, send %v", err, sendErr)
			}
			up := <-upDone
			if count != n {
				t.Fatalf("client received %d bytes, want %d", count, n)
			}
			if up.got != sent {
				t.Error("upstream received different bytes than the client sent")
			}
			if got != up.sent {
				t.Error("client received different bytes than the upstream sent")
			}
			rec := tp.record(t)
			if rec.Status != 200 || rec.BytesReceived != n || rec.BytesSent != n {
				t.Errorf("record: status %d, received %d, sent %d; want 200, %d, %d", rec.Status, rec.BytesReceived, rec.BytesSent, n, n)
			}
			if len(rec.Attempts) != 1 || rec.Attempts[0].BytesSent != n || rec.Attempts[0].BytesReceived != n || !rec.Attempts[0].GotFirstByte {
				t.Errorf("attempts: %+v", rec.Attempts)
			}
		})
	}
}

// gateWriter passes writes through but holds everything after the first at
// bytes until gate is closed.
type gateWriter struct {
	w    io.Writer
	at   int64
	gate <-chan struct{}
	n    int64
}

func (g *gateWriter) Write(p []byte) (int, error) {
	if g.n < g.at && g.n+int64(len(p)) > g.at {
		k := int(g.at - g.n)
		n, err := g.Write(p[:k])
		if err != nil {
			return n, err
		}
		m, err := g.Write(p[k:])
		return n + m, err
	}
	if g.n >= g.at {
		<-g.gate
	}
	n, err := g.w.Write(p)
	g.n += int64(n)
	return n, err
}
