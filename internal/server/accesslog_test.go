package server

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/straitproxy/strait/internal/straittest"
)

const proxyFormat = `log_format proxy '$remote_addr [$time_local] $protocol $status $bytes_sent $bytes_received $session_time "$upstream_addr" "$upstream_bytes_sent" "$upstream_bytes_received" "$upstream_connect_time"';`

func TestAccessLogLinesByOutcome(t *testing.T) {
	dir := t.TempDir()
	up := straittest.ServeTCP(t, straittest.Echo)
	lnOK, pOK := listenPort(t)
	ln502, p502 := listenPort(t)
	ln403, p403 := listenPort(t)
	ln503, p503 := listenPort(t)
	cfg := mustConfig(t, dir, fmt.Sprintf(`
events { worker_connections 1024; }
stream {
    %s
    limit_conn_zone $binary_remote_addr zone=perip:1m;
    upstream dead { server 127.0.0.1:1 down; }
    access_log {{dir}}/access.log proxy;
    server { listen 127.0.0.1:%s; proxy_pass %s; }
    server { listen 127.0.0.1:%s; proxy_pass dead; }
    server { listen 127.0.0.1:%s; deny 127.0.0.0/8; allow all; proxy_pass %s; }
    server { listen 127.0.0.1:%s; limit_conn perip 1; proxy_pass %s; }
}`, proxyFormat, pOK, up, p502, p403, up, p503, up))
	ts := startServer(t, cfg, lnOK, ln502, ln403, ln503)
	addr := func(p string) string { return "127.0.0.1:" + p }
	logPath := filepath.Join(dir, "access.log")

	echoSession(t, addr(pOK), "hello")
	waitFor(t, "the first session to end", func() bool { return strings.Count(readFile(t, logPath), "\n") == 1 })
	// Each record is written after the client sees the close, so wait for
	// it before the next session to keep the lines in a known order.
	roundTrip(t, addr(p502), "x")
	waitFor(t, "the 502 record", func() bool { return strings.Count(readFile(t, logPath), "\n") == 2 })
	roundTrip(t, addr(p403), "x")
	waitFor(t, "the 403 record", func() bool { return strings.Count(readFile(t, logPath), "\n") == 3 })
	// Hold one session open so the second from the same address is over
	// the limit.
	held := straittest.Dial(t, addr(p503))
	if err := echoOnce(held, "held"); err != nil {
		t.Fatal(err)
	}
	roundTrip(t, addr(p503), "x")
	waitFor(t, "the 503 record", func() bool { return strings.Count(readFile(t, logPath), "\n") == 4 })
	held.Close()
	waitFor(t, "five access log lines", func() bool { return strings.Count(readFile(t, logPath), "\n") == 5 })

	ts.Close()
	lines := strings.Split(strings.TrimSpace(readFile(t, logPath)), "\n")
	time := `\[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\]`
	sec := `\d+\.\d{3}`
	want := []string{
		`^127\.0\.0\.1 ` + time + ` TCP 200 5 5 ` + sec + ` "` + regexp.QuoteMeta(up) + `" "5" "5" "` + sec + `"$`,
		`^127\.0\.0\.1 ` + time + ` TCP 502 0 0 ` + sec + ` "dead" "0" "0" "-"$`,
		`^127\.0\.0\.1 ` + time + ` TCP 403 0 0 ` + sec + ` "-" "-" "-" "-"$`,
		`^127\.0\.0\.1 ` + time + ` TCP 503 0 0 ` + sec + ` "-" "-" "-" "-"$`,
		`^127\.0\.0\.1 ` + time + ` TCP 200 4 4 ` + sec + ` "` + regexp.QuoteMeta(up) + `" "4" "4" "` + sec + `"$`,
	}
	if len(lines) != len(want) {
		t.Fatalf("got %d lines:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	for i, w := range want {
		if !regexp.MustCompile(w).MatchString(lines[i]) {
			t.Errorf("line %d:\n got %s\nwant %s", i, lines[i], w)
		}
	}
	log := ts.log.String()
	for _, w := range []string{
		`no live upstreams while connecting to upstream, client: 127.0.0.1, server: 127.0.0.1:` + p502 + `, upstream: "dead"`,
		`access forbidden by rule, client: 127.0.0.1, server: 127.0.0.1:` + p403,
		`limiting connections by zone "perip", client: 127.0.0.1, server: 127.0.0.1:` + p503,
		` client 127.0.0.1:`,
		` connected to 127.0.0.1:` + pOK + "\n",
	} {
		if !strings.Contains(log, w) {
			t.Errorf("error log lacks %q:\n%s", w, log)
		}
	}
	st := ts.Stats()
	if st.Statuses[200] != 2 || st.Statuses[502] != 1 || st.Statuses[403] != 1 || st.Statuses[503] != 1 || st.Accepted != 5 {
		t.Errorf("stats %+v", st)
	}
}

// TestFullDiskAlertsOnce runs 500 sessions against an access log whose
// every write fails: the sessions are served as usual and the error log
// gets one alert, in nginx's words and with the session's context, not
// one per session.
func TestFullDiskAlertsOnce(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skipf("this system has no /dev/full to simulate a full disk: %v", err)
	}
	dir := t.TempDir()
	up := straittest.ServeTCP(t, straittest.Echo)
	ln, port := listenPort(t)
	cfg := mustConfig(t, dir, fmt.Sprintf(`
events {} stream {
    %s
    server { listen 127.0.0.1:%s; proxy_pass %s; access_log /dev/full proxy; }
}`, proxyFormat, port, up))
	ts := startServer(t, cfg, ln)
	const sessions = 500
	for range sessions {
		echoSession(t, "127.0.0.1:"+port, "hello")
	}
	waitFor(t, "every session to end", func() bool { return ts.Stats().Statuses[200] == sessions })
	log := ts.log.String()
	if n := strings.Count(log, "[alert]"); n != 1 {
		t.Fatalf("%d alerts for %d failed writes, want 1:\n%s", n, sessions, log)
	}
	want := regexp.MustCompile(`\[alert\] 1#1: \*\d+ write\(\) to "/dev/full" failed \(28: No space left on device\) while proxying connection, client: 127\.0\.0\.1, server: 127\.0\.0\.1:` +
		port + `, upstream: "` + regexp.QuoteMeta(up) + `", bytes from/to client:5/5, bytes from/to upstream:5/5\n`)
	if !want.MatchString(log) {
		t.Errorf("the alert is not nginx's:\n%s", log)
	}
}
