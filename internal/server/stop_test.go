package server

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/straittest"
)

// Sessions that have not reached the byte pump yet end on a stop at once
// and on a graceful stop or reload within worker_shutdown_timeout, however
// long their phase's own timeout. Listeners are unix sockets in the test's
// directory: no port has to be picked ahead of binding.

// stopCase is one way of stopping the sessions of a running server.
type stopCase struct {
	name string
	stop func(ts *testServer, cfg *config.Config) error
	// graceful: the cut comes from worker_shutdown_timeout, which nginx
	// logs as "shutdown timeout"; a fast stop ends sessions without a word.
	graceful bool
	// serves: the server keeps running afterwards.
	serves bool
}

var stopCases = []stopCase{
	{name: "fast stop", stop: func(ts *testServer, _ *config.Config) error { return ts.Close() }},
	{name: "graceful stop", graceful: true, stop: func(ts *testServer, _ *config.Config) error { return ts.Shutdown(context.Background()) }},
	{name: "reload", graceful: true, serves: true, stop: func(ts *testServer, cfg *config.Config) error { return ts.Reload(cfg) }},
}

// stopAndWaitForClose runs tc's stop while c's session is blocked before
// proxying and waits, up to a failure bound, for the stop to return and
// for strait to close c. If strait does not, c is closed from this side
// so that the session, and the test, can end.
func stopAndWaitForClose(t *testing.T, ts *testServer, cfg *config.Config, tc stopCase, c net.Conn) {
	t.Helper()
	stopped := make(chan error, 1)
	go func() { stopped <- tc.stop(ts, cfg) }()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, err := c.Read(make([]byte, 1))
	if err != io.EOF {
		c.Close()
		<-stopped
		t.Fatalf("client connection not closed by the stop: read %d bytes, %v", n, err)
	}
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("stop: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("stop still waiting after the session ended")
	}
	if !tc.serves {
		if err := <-ts.done; err != nil {
			t.Fatalf("Serve: %v", err)
		}
		ts.done <- nil
	}
}

func TestStopEndsSessionsWaitingForProxyHeader(t *testing.T) {
	for _, tc := range stopCases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			sock := filepath.Join(dir, "pp.sock")
			// A header that never comes would hold the session for an hour.
			cfg := mustConfig(t, dir, fmt.Sprintf(`
worker_shutdown_timeout 100ms;
events {} stream {
    log_format st $status;
    server {
        listen unix:%s proxy_protocol;
        proxy_protocol_timeout 1h;
        proxy_pass 127.0.0.1:1;
        access_log {{dir}}/access.log st;
    }
}`, sock))
			ts := startServer(t, cfg)
			c, err := net.Dial("unix", sock)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			// The session logs its start, then waits for the header.
			waitFor(t, "the session to start", func() bool {
				return strings.Contains(ts.log.String(), "*1 client unix: connected to unix:"+sock)
			})
			stopAndWaitForClose(t, ts, cfg, tc, c)

			access := filepath.Join(dir, "access.log")
			waitFor(t, "the access record", func() bool { return readFile(t, access) != "" })
			if got := readFile(t, access); got != "200\n" {
				t.Errorf("access log %q, want status 200", got)
			}
			log := ts.log.String()
			cut := "[info] 1#1: *1 shutdown timeout while reading PROXY protocol, client: "
			if tc.graceful && !strings.Contains(log, cut) || !tc.graceful && strings.Contains(log, "shutdown timeout") {
				t.Errorf("graceful %v, error log:\n%s", tc.graceful, log)
			}
			for _, noise := range []string{"timed out", "closed connection", "broken header", "[error]"} {
				if strings.Contains(log, noise) {
					t.Errorf("error log says %q of a session cut by the server:\n%s", noise, log)
				}
			}
		})
	}
}

func TestStopEndsSessionsWaitingForUpstreamHandshake(t *testing.T) {
	for _, tc := range stopCases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			sock := filepath.Join(dir, "in.sock")
			// The upstream accepts the connection and never answers the
			// ClientHello: an hour of proxy_connect_timeout would pass.
			accepted := make(chan struct{}, 1)
			up := straittest.ServeTCP(t, func(c net.Conn) {
				select {
				case accepted <- struct{}{}:
				default:
				}
				io.Copy(io.Discard, c)
			})
			cfg := mustConfig(t, dir, fmt.Sprintf(`
worker_shutdown_timeout 100ms;
events {} stream {
    log_format st $status;
    server {
        listen unix:%s;
        proxy_pass %s;
        proxy_ssl on;
        proxy_connect_timeout 1h;
        access_log {{dir}}/access.log st;
    }
}`, sock, up))
			ts := startServer(t, cfg)
			c, err := net.Dial("unix", sock)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			select {
			case <-accepted:
			case <-time.After(10 * time.Second):
				t.Fatal("strait did not connect to the upstream")
			}
			stopAndWaitForClose(t, ts, cfg, tc, c)

			access := filepath.Join(dir, "access.log")
			waitFor(t, "the access record", func() bool { return readFile(t, access) != "" })
			// Cut by the server, not failed by the upstream: not 502.
			if got := readFile(t, access); got != "200\n" {
				t.Errorf("access log %q, want status 200", got)
			}
			log := ts.log.String()
			cut := "[info] 1#1: *1 shutdown timeout while SSL handshaking to upstream, client: "
			if tc.graceful && !strings.Contains(log, cut) || !tc.graceful && strings.Contains(log, "shutdown timeout") {
				t.Errorf("graceful %v, error log:\n%s", tc.graceful, log)
			}
			if strings.Contains(log, "[error]") {
				t.Errorf("error log blames the upstream for a session cut by the server:\n%s", log)
			}
		})
	}
}
