package proxy

import (
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/straittest"
)

// TestErrorLinesCarryByteCounts checks the suffix nginx's proxy log
// handler adds to every line of a session once proxy_pass has it:
// `, upstream: "...", bytes from/to client:R/S, bytes from/to
// upstream:R/S` (ngx_stream_proxy_log_error).
func TestErrorLinesCarryByteCounts(t *testing.T) {
	t.Run("connect failure", func(t *testing.T) {
		refused := straittest.RefusedAddr(t)
		tp := startProxy(t, &Handler{Group: newGroup(t, spec(refused, 1)), Proxy: testProxyConfig()})
		roundTrip(t, tp.addr, "x")
		tp.record(t)
		want := `connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: ` +
			tp.addr + `, upstream: "` + refused + `", bytes from/to client:0/0, bytes from/to upstream:0/0` + "\n"
		if log := tp.log.String(); !strings.HasSuffix(log, want) {
			t.Errorf("error log:\n%s\nwant a line ending %q", log, want)
		}
	})
	t.Run("idle timeout", func(t *testing.T) {
		up := straittest.ServeTCP(t, straittest.Echo)
		cfg := testProxyConfig()
		cfg.Timeout = 50 * time.Millisecond
		tp := startProxy(t, &Handler{Group: newGroup(t, spec(up, 1)), Proxy: cfg})
		c := straittest.Dial(t, tp.addr)
		defer c.Close()
		if err := echoOnce(c, "hello"); err != nil {
			t.Fatal(err)
		}
		io.ReadAll(c) // until the idle timeout closes the session
		tp.record(t)
		log := tp.log.String()
		want := regexp.MustCompile(`\[info\] 0#0: \*1 connection timed out \(110: Connection timed out\) while proxying connection, client: 127\.0\.0\.1, server: ` +
			regexp.QuoteMeta(tp.addr) + `, upstream: "` + regexp.QuoteMeta(up) + `", bytes from/to client:5/5, bytes from/to upstream:5/5\n$`)
		if !want.MatchString(log) {
			t.Errorf("error log:\n%s\nwant it to end with the timeout and its byte counts", log)
		}
		// nginx logs no "disconnected" line for a timed-out session.
		if strings.Contains(log, "disconnected") {
			t.Errorf("a timed-out session logged a disconnect:\n%s", log)
		}
	})
}

// echoOnce sends msg and reads the same number of bytes back.
func echoOnce(c io.ReadWriter, msg string) error {
	if _, err := io.WriteString(c, msg); err != nil {
		return err
	}
	buf := make([]byte, len(msg))
	_, err := io.ReadFull(c, buf)
	return err
}
