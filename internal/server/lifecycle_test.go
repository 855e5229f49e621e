package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/straittest"
)

func TestReloadUnderLoadCutsNothingAndRefusesNothing(t *testing.T) {
	dir := t.TempDir()
	up := straittest.ServeTCP(t, straittest.Echo)
	ln, port := listenPort(t)
	// The listener that comes and goes with the reloads is a unix socket:
	// the server binds it itself each time, which a TCP port could only
	// be if the test picked a free one, and that races.
	extra := filepath.Join(dir, "extra.sock")
	conf := func(timeout string, withExtra bool) string {
		extraServer := ""
		if withExtra {
			extraServer = fmt.Sprintf("server { listen unix:%s; proxy_pass %s; }", extra, up)
		}
		return fmt.Sprintf(`
events { worker_connections 4096; }
stream {
    %s
    server { listen 127.0.0.1:%s; proxy_timeout %s; proxy_pass %s; access_log {{dir}}/access.log proxy; }
    %s
}`, proxyFormat, port, timeout, up, extraServer)
	}
	ts := startServer(t, mustConfig(t, dir, conf("10m", false)), ln)
	addr := "127.0.0.1:" + port

	var failures atomic.Int64
	var failMsg atomic.Value
	fail := func(err error) {
		failures.Add(1)
		failMsg.Store(err.Error())
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	// 200 long-lived sessions streaming data the whole time.
	const longLived = 200
	var ready sync.WaitGroup
	ready.Add(longLived)
	for i := range longLived {
		wg.Go(func() {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				fail(err)
				ready.Done()
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(60 * time.Second))
			msg := strings.Repeat(string(rune('a'+i%26)), 512)
			first := true
			for {
				if err := echoOnce(c, msg); err != nil {
					fail(fmt.Errorf("long-lived session %d: %w", i, err))
					if first {
						ready.Done()
					}
					return
				}
				if first {
					ready.Done()
					first = false
				}
				select {
				case <-stop:
					return
				case <-time.After(2 * time.Millisecond):
				}
			}
		})
	}
	ready.Wait()
	// A steady stream of new connections.
	var newSessions atomic.Int64
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				c, err := net.Dial("tcp", addr)
				if err != nil {
					fail(fmt.Errorf("new connection: %w", err))
					return
				}
				c.SetDeadline(time.Now().Add(30 * time.Second))
				if err := echoOnce(c, "ping"); err != nil {
					fail(fmt.Errorf("new session: %w", err))
				}
				c.Close()
				newSessions.Add(1)
			}
		})
	}
	for i := range 10 {
		var cfgText string
		switch {
		case i == 5:
			// Valid syntax, but the runtime cannot be built: the access
			// log directory does not exist.
			cfgText = strings.Replace(conf("10m", true), "{{dir}}/access.log", "{{dir}}/missing/access.log", 1)
		default:
			cfgText = conf(fmt.Sprintf("%dm", 5+i), i%2 == 0)
		}
		cfg := mustConfig(t, dir, cfgText)
		before := newSessions.Load()
		err := ts.Reload(cfg)
		if i == 5 {
			if err == nil || !strings.Contains(err.Error(), "missing") {
				t.Errorf("reload with a bad access_log path: %v", err)
			}
		} else if err != nil {
			t.Fatalf("reload %d: %v", i, err)
		}
		waitFor(t, "new sessions after a reload", func() bool { return newSessions.Load() >= before+20 })
	}
	close(stop)
	wg.Wait()
	if n := failures.Load(); n > 0 {
		t.Fatalf("%d failures, last: %v", n, failMsg.Load())
	}
	// The listener that came and went follows the last configuration,
	// which has none on that port.
	if c, err := net.Dial("unix", extra); err == nil {
		c.Close()
		t.Error("listener dropped by the last reload still accepts")
	}
}

func TestShutdownDrainsRunningSessions(t *testing.T) {
	dir := t.TempDir()
	up := straittest.ServeTCP(t, straittest.Echo)
	ln, port := listenPort(t)
	ts := startServer(t, mustConfig(t, dir, fmt.Sprintf(`events {} stream { server { listen 127.0.0.1:%s; proxy_pass %s; } }`, port, up)), ln)
	addr := "127.0.0.1:" + port
	c := straittest.Dial(t, addr)
	defer c.Close()
	if err := echoOnce(c, "before"); err != nil {
		t.Fatal(err)
	}
	shut := make(chan error, 1)
	go func() { shut <- ts.Shutdown(context.Background()) }()
	waitFor(t, "the listener to close", func() bool {
		c2, err := net.Dial("tcp", addr)
		if err == nil {
			c2.Close()
		}
		return err != nil
	})
	if err := echoOnce(c, "during shutdown"); err != nil {
		t.Fatalf("running session cut by graceful shutdown: %v", err)
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v while a session runs", err)
	default:
	}
	c.Close()
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-ts.done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	ts.done <- nil
}

func TestShutdownCutsWhenContextEnds(t *testing.T) {
	dir := t.TempDir()
	up := straittest.ServeTCP(t, straittest.Echo)
	ln, port := listenPort(t)
	ts := startServer(t, mustConfig(t, dir, fmt.Sprintf(`events {} stream { server { listen 127.0.0.1:%s; proxy_pass %s; } }`, port, up)), ln)
	c := straittest.Dial(t, "127.0.0.1:"+port)
	defer c.Close()
	if err := echoOnce(c, "x"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := ts.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown: %v", err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("session survived Shutdown's deadline")
	}
}

func TestCloseCutsSessionsAtOnce(t *testing.T) {
	dir := t.TempDir()
	up := straittest.ServeTCP(t, straittest.Echo)
	ln, port := listenPort(t)
	ts := startServer(t, mustConfig(t, dir, fmt.Sprintf(`events {} stream { server { listen 127.0.0.1:%s; proxy_pass %s; } }`, port, up)), ln)
	c := straittest.Dial(t, "127.0.0.1:"+port)
	defer c.Close()
	if err := echoOnce(c, "x"); err != nil {
		t.Fatal(err)
	}
	ts.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("session survived Close")
	}
	if err := <-ts.done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	ts.done <- nil
}

func TestWorkerShutdownTimeoutCutsOldSessionsAfterReload(t *testing.T) {
	dir := t.TempDir()
	up := straittest.ServeTCP(t, straittest.Echo)
	ln, port := listenPort(t)
	text := fmt.Sprintf(`worker_shutdown_timeout 100ms; events {} stream { server { listen 127.0.0.1:%s; proxy_pass %s; } }`, port, up)
	ts := startServer(t, mustConfig(t, dir, text), ln)
	c := straittest.Dial(t, "127.0.0.1:"+port)
	defer c.Close()
	if err := echoOnce(c, "x"); err != nil {
		t.Fatal(err)
	}
	if err := ts.Reload(mustConfig(t, dir, text)); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err == nil || os.IsTimeout(err) {
		t.Fatalf("old session not cut after worker_shutdown_timeout: %v", err)
	}
	// New sessions run on the new configuration.
	echoSession(t, "127.0.0.1:"+port, "new")
}

func TestReopenLogsAfterRename(t *testing.T) {
	dir := t.TempDir()
	up := straittest.ServeTCP(t, straittest.Echo)
	ln, port := listenPort(t)
	srvCfg := mustConfig(t, dir, fmt.Sprintf(`
error_log {{dir}}/error.log info;
events {} stream { %s server { listen 127.0.0.1:%s; proxy_pass %s; access_log {{dir}}/access.log proxy; } }`, proxyFormat, port, up))
	srv, err := New(srvCfg, Options{PID: 1, Inherited: []net.Listener{ln}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve() }()
	defer func() {
		srv.Close()
		<-done
	}()
	addr := "127.0.0.1:" + port
	access, errorLog := filepath.Join(dir, "access.log"), filepath.Join(dir, "error.log")
	echoSession(t, addr, "one")
	waitFor(t, "first access line", func() bool { return strings.Count(readFile(t, access), "\n") == 1 })
	for _, p := range []string{access, errorLog} {
		if err := os.Rename(p, p+".1"); err != nil {
			t.Fatal(err)
		}
	}
	if err := srv.ReopenLogs(); err != nil {
		t.Fatal(err)
	}
	echoSession(t, addr, "two")
	waitFor(t, "access line in the new file", func() bool { return strings.Count(readFile(t, access), "\n") == 1 })
	if got := strings.Count(readFile(t, access+".1"), "\n"); got != 1 {
		t.Errorf("rotated access log has %d lines, want 1", got)
	}
	waitFor(t, "error log lines in the new file", func() bool { return strings.Contains(readFile(t, errorLog), "*2 client ") })
	if strings.Contains(readFile(t, errorLog+".1"), "*2 ") {
		t.Error("rotated error log still written")
	}
}
