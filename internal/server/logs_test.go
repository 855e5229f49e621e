package server

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/straitproxy/strait/internal/errlog"
	"github.com/straitproxy/strait/internal/straittest"
)

// TestProcessLogFollowsReload checks that Options.ProcessLog writes to the
// main error_log of the running configuration, the same file the
// sessions use, moves with a successful reload and stays with a failed one.
func TestProcessLogFollowsReload(t *testing.T) {
	dir := t.TempDir()
	up := straittest.ServeTCP(t, straittest.Echo)
	ln, port := listenPort(t)
	conf := func(errorLog string) string {
		return fmt.Sprintf("error_log %s info;\nevents {} stream { server { listen 127.0.0.1:%s; proxy_pass %s; } }\n", errorLog, port, up)
	}
	aLog, bLog := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	sw := errlog.NewSwitch(slog.DiscardHandler)
	srv, err := New(mustConfig(t, dir, conf(aLog)), Options{PID: 1, ProcessLog: sw, Inherited: []net.Listener{ln}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve() }()
	log := slog.New(sw)
	log.Info("first")
	echoSession(t, "127.0.0.1:"+port, "x")

	if err := srv.Reload(mustConfig(t, dir, conf(bLog))); err != nil {
		t.Fatal(err)
	}
	log.Info("second")
	bad := filepath.Join(dir, "missing", "c.log")
	err = srv.Reload(mustConfig(t, dir, conf(bad)))
	if want := `open() "` + bad + `" failed (2: No such file or directory)`; err == nil || err.Error() != want {
		t.Fatalf("reload with a bad error_log: %v, want %q", err, want)
	}
	log.Info("third")
	echoSession(t, "127.0.0.1:"+port, "y")
	srv.Close()
	<-done
	log.Info("after stop") // the switch keeps the files until its Close
	sw.Close()

	// Session lines are written after the client sees the close; the
	// Close above waited for them.
	a, b := readFile(t, aLog), readFile(t, bLog)
	if !strings.Contains(a, "] 1#1: first\n") || !strings.Contains(a, "connected to 127.0.0.1:"+port) {
		t.Errorf("a.log lacks the first message or session:\n%s", a)
	}
	for _, want := range []string{"] 1#1: second\n", "] 1#1: third\n", "] 1#1: after stop\n", "connected to 127.0.0.1:" + port} {
		if !strings.Contains(b, want) {
			t.Errorf("b.log lacks %q:\n%s", want, b)
		}
	}
	if strings.Contains(a, "second") || strings.Contains(a, "third") {
		t.Errorf("a.log got messages after the reload:\n%s", a)
	}
}

// TestProcessLogReopens checks that USR1's ReopenLogs reopens the files
// the process logger writes to, which are the running configuration's.
func TestProcessLogReopens(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "error.log")
	ln, port := listenPort(t)
	cfg := mustConfig(t, dir, fmt.Sprintf("error_log %s info;\nevents {} stream { server { listen 127.0.0.1:%s; proxy_pass 127.0.0.1:1; } }\n", path, port))
	sw := errlog.NewSwitch(slog.DiscardHandler)
	defer sw.Close()
	srv, err := New(cfg, Options{PID: 1, ProcessLog: sw, Inherited: []net.Listener{ln}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	log := slog.New(sw)
	log.Info("before")
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := srv.ReopenLogs(); err != nil {
		t.Fatal(err)
	}
	log.Info("after")
	if got := readFile(t, path+".1"); !strings.HasSuffix(got, "] 1#1: before\n") {
		t.Errorf("rotated file %q", got)
	}
	if got := readFile(t, path); !strings.HasSuffix(got, "] 1#1: after\n") || strings.Contains(got, "before") {
		t.Errorf("reopened file %q", got)
	}
}
