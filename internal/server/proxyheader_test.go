package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/straittest"
)

// A PROXY header is judged as soon as its bytes settle it: refused headers
// end the session with 400 at once, with no wait for proxy_protocol_timeout
// (an hour here, so a session ended within the test's bounds cannot have
// timed out), and a header arriving in several segments is still read.
func TestProxyHeaderJudgedWithoutWaitingForTimeout(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "pp.sock")
	up := straittest.ServeTCP(t, func(c net.Conn) {
		b, _ := bufio.NewReader(c).ReadString('!')
		io.WriteString(c, "upstream got "+b)
	})
	ts := startServer(t, mustConfig(t, dir, fmt.Sprintf(`
events {} stream {
    log_format pp '$status $proxy_protocol_addr';
    server {
        listen unix:%s proxy_protocol;
        proxy_protocol_timeout 1h;
        proxy_pass %s;
        access_log {{dir}}/access.log pp;
    }
}`, sock, up)))
	access := filepath.Join(dir, "access.log")
	for i, tc := range []struct {
		name   string
		pieces []string
		reply  string // what the client reads before strait closes
		record string
		log    string // the error log line's text, after "*N "
	}{
		{
			name:   "v1 line over 107 bytes without CRLF",
			pieces: []string{"PROXY TCP4 " + strings.Repeat("1", 200)},
			record: "400 -",
			log:    `[error] 1#1: *1 broken header: "PROXY TCP4 ` + strings.Repeat("1", 107-len("PROXY TCP4 ")) + `" while reading PROXY protocol, client: `,
		},
		{
			name:   "v1 line over 107 bytes in pieces",
			pieces: []string{"PROXY TCP4 ", strings.Repeat("1", 60), strings.Repeat("1", 60)},
			record: "400 -",
			log:    `[error] 1#1: *2 broken header: "PROXY TCP4 ` + strings.Repeat("1", 107-len("PROXY TCP4 ")) + `" while reading PROXY protocol, client: `,
		},
		{
			name:   "v2 header over 4096 bytes",
			pieces: []string{"\r\n\r\n\x00\r\nQUIT\n\x21\x11\x0f\xf1"},
			record: "400 -",
			log:    `[error] 1#1: *3 header is too large while reading PROXY protocol, client: `,
		},
		{
			name:   "v1 header in pieces",
			pieces: []string{"PROXY TCP4 192.0.2.7", " 192.0.2.1 4000", " 80\r", "\nhello!"},
			reply:  "upstream got hello!",
			record: "200 192.0.2.7",
			log:    "[info] 1#1: *4 upstream disconnected",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("unix", sock)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for _, p := range tc.pieces {
				if _, err := io.WriteString(c, p); err != nil {
					t.Fatal(err)
				}
				// Apart in time, so that the pieces arrive as reads
				// of their own.
				time.Sleep(20 * time.Millisecond)
			}
			// The client stays connected: only strait can end the
			// session, and the deadline is a failure bound only.
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			got, err := io.ReadAll(c)
			if err != nil {
				t.Fatalf("session not ended by strait: %v (read %q)", err, got)
			}
			if string(got) != tc.reply {
				t.Errorf("client read %q, want %q", got, tc.reply)
			}
			waitFor(t, "the access record", func() bool { return strings.Count(readFile(t, access), "\n") == i+1 })
			lines := strings.Split(strings.TrimSuffix(readFile(t, access), "\n"), "\n")
			if lines[i] != tc.record {
				t.Errorf("access record %q, want %q", lines[i], tc.record)
			}
			if !strings.Contains(ts.log.String(), tc.log) {
				t.Errorf("no %q in the error log:\n%s", tc.log, ts.log)
			}
		})
	}
	if strings.Contains(ts.log.String(), "timed out") {
		t.Errorf("a session timed out:\n%s", ts.log)
	}
}
