//go:build linux

package proxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/straittest"
)

// An upstream that resets its connection (SO_LINGER 0) while the client
// uploads is blamed as nginx blames it: one error-level line naming the
// upstream and the call on its socket that failed, on every copy path. A
// splice used to be reported as a read from its source, so this came out
// as "recv() failed (32: Broken pipe) ... reading from client" at info.
func TestUpstreamResetDuringUploadIsLoggedAgainstTheUpstream(t *testing.T) {
	cert := selfSigned(t)
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	// With proxy_half_close the upstream first ends its side cleanly, so
	// that only the upload touches its socket when the reset comes: the
	// line is known exactly. The errno is EPIPE, not ECONNRESET: Linux
	// reports a reset that arrives after the peer's FIN (in CLOSE_WAIT)
	// as a broken pipe, and nginx would print the same.
	afterFIN := func(call string) *regexp.Regexp {
		return regexp.MustCompile(`\[error\] 0#0: \*1 ` + regexp.QuoteMeta(call+
			" failed (32: Broken pipe) while proxying and sending to upstream, client: 127.0.0.1"))
	}
	// Without it the reset reaches whichever flow touches the socket
	// first, reading or writing: either way one error, against the
	// upstream.
	bothOpen := func(read, write string) *regexp.Regexp {
		return regexp.MustCompile(`\[error\] 0#0: \*1 (` + regexp.QuoteMeta(read) + ` failed \(104: Connection reset by peer\) while proxying and reading from|` +
			regexp.QuoteMeta(write) + ` failed \(104: Connection reset by peer\) while proxying and sending to) upstream, client: 127.0.0.1`)
	}
	for _, tt := range []struct {
		name      string
		tls       bool
		buffered  bool // the copy through buffers, as for sockets that cannot splice
		halfClose bool
		want      *regexp.Regexp
	}{
		{"spliced", false, false, false, bothOpen("recv()", "writev()")},
		{"buffered", false, true, false, bothOpen("recv()", "writev()")},
		{"TLS upstream", true, false, false, bothOpen("SSL_read()", "SSL_write()")},
		{"spliced, half-close", false, false, true, afterFIN("writev()")},
		{"buffered, half-close", false, true, true, afterFIN("writev()")},
		{"TLS upstream, half-close", true, false, true, afterFIN("SSL_write()")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			reset := make(chan struct{})
			up := straittest.ServeTCP(t, func(c net.Conn) {
				conn := c
				if tt.tls {
					tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}})
					if tc.Handshake() != nil {
						return
					}
					conn = tc
				}
				if _, err := io.ReadFull(conn, make([]byte, 64<<10)); err != nil {
					return // the upload has begun; read no more
				}
				if tt.halfClose {
					if tc, ok := conn.(*tls.Conn); ok {
						tc.CloseWrite()
					}
					c.(*net.TCPConn).CloseWrite()
					select {
					case <-reset:
					case <-time.After(straittest.ConnDeadline):
						return
					}
				}
				// SO_LINGER 0: close sends RST.
				c.(*net.TCPConn).SetLinger(0)
				c.Close()
			})
			h := &Handler{Group: newGroup(t, spec(up, 1)), Proxy: testProxyConfig(), NoDelay: true, Buffers: NewBufferPool(16 << 10)}
			h.Proxy.HalfClose = tt.halfClose
			if tt.tls {
				h.Handshake = goHandshake(&tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
			}
			if tt.buffered {
				h.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
					var d net.Dialer
					c, err := d.DialContext(ctx, network, addr)
					if err != nil {
						return nil, err
					}
					return plainConn{c}, nil
				}
			}
			tp := startProxy(t, h)
			c := straittest.Dial(t, tp.addr)
			defer c.Close()
			uploaded := make(chan struct{})
			go func() {
				defer close(uploaded)
				chunk := make([]byte, 64<<10)
				for range 1024 { // 64 MiB: far more than the socket buffers and the pipe hold
					if _, err := c.Write(chunk); err != nil {
						return
					}
				}
			}()
			// With half-close the upstream's end arrives first as EOF.
			io.Copy(io.Discard, c)
			close(reset)
			<-uploaded
			if rec := tp.record(t); rec.Status != 200 {
				t.Errorf("status %d, want 200", rec.Status)
			}
			log := tp.log.String()
			if got := tt.want.FindAllString(log, -1); len(got) != 1 {
				t.Errorf("want one line matching %s, got %d:\n%s", tt.want, len(got), log)
			}
			if strings.Contains(log, "failed") && strings.Count(log, "failed") != 1 {
				t.Errorf("more than one failure logged:\n%s", log)
			}
		})
	}
}
