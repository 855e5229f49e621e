package server

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/straitproxy/strait/internal/straittest"
)

// An access_log path with variables is evaluated per session: a map on
// $server_port sends two sessions to two files, a relative path is taken
// from the prefix, and a missing directory is reported once, at crit,
// in nginx's words.
func TestAccessLogPathWithVariables(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	up := straittest.ServeTCP(t, straittest.Echo)
	ln1, p1 := listenPort(t)
	ln2, p2 := listenPort(t)
	cfg := mustConfig(t, dir, fmt.Sprintf(`stream {
    log_format basic '$server_port $status';
    map $server_port $logname {
        %s one;
        default two;
    }
    open_log_file_cache max=10;
    access_log {{dir}}/missing/$protocol.log basic;
    access_log logs/$logname.log basic;
    server { listen 127.0.0.1:%s; proxy_pass %s; }
    server { listen 127.0.0.1:%s; proxy_pass %s; open_log_file_cache off; }
}`, p1, p1, up, p2, up))
	ts := startServer(t, cfg, ln1, ln2)

	// Records are written as sessions end, in no set order across them.
	echoSession(t, "127.0.0.1:"+p1, "a")
	echoSession(t, "127.0.0.1:"+p2, "b")
	one := waitForFileLines(t, filepath.Join(dir, "logs", "one.log"), 1)
	two := waitForFileLines(t, filepath.Join(dir, "logs", "two.log"), 1)
	if len(one) != 1 || one[0] != p1+" 200" || len(two) != 1 || two[0] != p2+" 200" {
		t.Fatalf("one.log %q, two.log %q", one, two)
	}
	// The missing directory comes first in each block, so both
	// sessions tried it by now.
	missing := filepath.Join(dir, "missing", "TCP.log")
	want := `[crit] 1#1: *` // the session's context follows
	msg := `open() "` + missing + `" failed (2: No such file or directory)`
	log := ts.log.String()
	if n := strings.Count(log, msg); n != 1 || !strings.Contains(log, want) {
		t.Fatalf("want the failure once at crit, got %d times:\n%s", n, log)
	}
}

// USR1 closes the cached descriptors: after a rotation by rename the
// next record goes to a new file, well within valid.
func TestReopenClosesCachedLogDescriptors(t *testing.T) {
	dir := t.TempDir()
	up := straittest.ServeTCP(t, straittest.Echo)
	ln, port := listenPort(t)
	cfg := mustConfig(t, dir, fmt.Sprintf(`stream {
    log_format basic '$bytes_received';
    open_log_file_cache max=10 valid=1h inactive=1h;
    server { listen 127.0.0.1:%s; proxy_pass %s; access_log {{dir}}/$server_port.log basic; }
}`, port, up))
	ts := startServer(t, cfg, ln)
	name := filepath.Join(dir, port+".log")

	echoSession(t, "127.0.0.1:"+port, "first")
	waitForFileLines(t, name, 1)
	if err := os.Rename(name, name+".1"); err != nil {
		t.Fatal(err)
	}
	if err := ts.ReopenLogs(); err != nil {
		t.Fatal(err)
	}
	echoSession(t, "127.0.0.1:"+port, "second")
	if got := waitForFileLines(t, name, 1); len(got) != 1 || got[0] != "6" {
		t.Fatalf("new file: %q", got)
	}
	if got := readFile(t, name+".1"); got != "5\n" {
		t.Fatalf("rotated file: %q", got)
	}
}
