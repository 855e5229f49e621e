package process

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// silentClientConf has a proxy_protocol listener on a unix socket (no port
// to pick ahead of binding) whose header timeout is an hour, and a short
// worker_shutdown_timeout.
func silentClientConf(dir, sock string) string {
	return fmt.Sprintf(`daemon off;
pid %[1]s/strait.pid;
error_log %[1]s/error.log info;
worker_shutdown_timeout 1s;
events {} stream {
    log_format st $status;
    access_log %[1]s/access.log st;
    server {
        listen unix:%[2]s proxy_protocol;
        proxy_protocol_timeout 1h;
        proxy_pass 127.0.0.1:1;
    }
}
`, dir, sock)
}

// A client that connects to a proxy_protocol listener and sends nothing
// holds up neither a fast stop (TERM) nor a graceful one (-s quit) past
// worker_shutdown_timeout: strait exits and closes the connection. The
// waits are failure bounds; without the cut, strait would wait an hour.
func TestStopsDoNotWaitForSilentClients(t *testing.T) {
	for _, tc := range []struct {
		name     string
		stop     func(t *testing.T, in *instance)
		graceful bool
	}{
		{name: "TERM", stop: func(t *testing.T, in *instance) { in.cmd.Process.Signal(syscall.SIGTERM) }},
		{name: "quit", graceful: true, stop: func(t *testing.T, in *instance) { in.ctl(t, "quit") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			sock := filepath.Join(dir, "pp.sock")
			in := &instance{dir: dir, conf: filepath.Join(dir, "strait.conf"), stderr: &bytes.Buffer{}, done: make(chan error, 1)}
			writeConf(t, in.conf, silentClientConf(dir, sock))
			in.cmd = exec.Command(straitBin, "-c", in.conf)
			in.cmd.Stderr = in.stderr
			if err := in.cmd.Start(); err != nil {
				t.Fatal(err)
			}
			go func() { in.done <- in.cmd.Wait() }()
			t.Cleanup(func() {
				in.cmd.Process.Kill()
				<-in.done
			})

			var c net.Conn
			eventually(t, "strait listening", func() (err error) {
				c, err = net.Dial("unix", sock)
				return err
			})
			defer c.Close()
			errorLog := filepath.Join(dir, "error.log")
			eventually(t, "the session waiting for its header", func() error {
				b, _ := os.ReadFile(errorLog)
				if !strings.Contains(string(b), "*1 client unix: connected to unix:"+sock) {
					return fmt.Errorf("error.log:\n%s", b)
				}
				return nil
			})

			tc.stop(t, in)
			if err := in.waitExit(t); err != nil {
				t.Fatalf("exit: %v\n%s", err, in.stderr)
			}
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			if n, err := c.Read(make([]byte, 1)); err != io.EOF {
				t.Errorf("client connection after exit: read %d bytes, %v; want EOF", n, err)
			}
			if b, _ := os.ReadFile(filepath.Join(dir, "access.log")); string(b) != "200\n" {
				t.Errorf("access.log %q, want one session with status 200", b)
			}
			b, _ := os.ReadFile(errorLog)
			log := string(b)
			cut := "shutdown timeout while reading PROXY protocol"
			if tc.graceful != strings.Contains(log, cut) || strings.Contains(log, "timed out") {
				t.Errorf("graceful %v, error.log:\n%s", tc.graceful, log)
			}
		})
	}
}
