package e2e

import (
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

	"github.com/straitproxy/strait/internal/straittest"
)

func TestHalfClosedClientStillGetsTheReply(t *testing.T) {
	up := straittest.ServeTCP(t, func(c net.Conn) {
		req, _ := io.ReadAll(c) // the request ends with the client's EOF
		io.WriteString(c, "reply to "+string(req))
	})
	ln, port := listenPort(t)
	strait(t, fmt.Sprintf(`events {} stream { server { listen 127.0.0.1:%s; proxy_half_close on; proxy_pass %s; } }`, port, up), ln)
	c := straittest.Dial(t, addr(port))
	io.WriteString(c, "request")
	c.(*net.TCPConn).CloseWrite()
	if got := readAll(t, c); got != "reply to request" {
		t.Fatalf("got %q", got)
	}
}

func TestWithoutHalfCloseClientEOFEndsTheSession(t *testing.T) {
	gotEOF := make(chan string, 1)
	up := straittest.ServeTCP(t, func(c net.Conn) {
		req, _ := io.ReadAll(c)
		gotEOF <- string(req)
	})
	ln, port := listenPort(t)
	dir, _ := strait(t, fmt.Sprintf(`events {} stream {
    log_format s '$status $bytes_received';
    server { listen 127.0.0.1:%s; proxy_pass %s; access_log {{dir}}/a.log s; }
}`, port, up), ln)
	c := straittest.Dial(t, addr(port))
	io.WriteString(c, "bye")
	c.(*net.TCPConn).CloseWrite()
	if got := readAll(t, c); got != "" {
		t.Fatalf("got %q", got)
	}
	if req := <-gotEOF; req != "bye" {
		t.Errorf("upstream read %q", req)
	}
	if lines := waitForLines(t, filepath.Join(dir, "a.log"), 1); lines[0] != "200 3" {
		t.Errorf("access log %q", lines)
	}
}

func TestIdleSessionEndsAfterProxyTimeoutWithStatus200(t *testing.T) {
	up := straittest.ServeTCP(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	ln, port := listenPort(t)
	dir, log := strait(t, fmt.Sprintf(`events {} stream {
    log_format s '$status';
    server { listen 127.0.0.1:%s; proxy_timeout 200ms; proxy_pass %s; access_log {{dir}}/a.log s; }
}`, port, up), ln)
	c := straittest.Dial(t, addr(port))
	io.WriteString(c, "hello")
	if got := readAll(t, c); got != "" {
		t.Fatalf("got %q", got)
	}
	if lines := waitForLines(t, filepath.Join(dir, "a.log"), 1); lines[0] != "200" {
		t.Errorf("status %q", lines)
	}
	if !strings.Contains(log.String(), "connection timed out (110: Connection timed out) while proxying connection") {
		t.Errorf("error log:\n%s", log)
	}
}

func TestDeadUpstreamNeverFailsAClientWhileAnotherLives(t *testing.T) {
	dead := straittest.RefusedAddr(t)
	a := straittest.ServeTCP(t, func(c net.Conn) { io.WriteString(c, "a") })
	b := straittest.ServeTCP(t, func(c net.Conn) { io.WriteString(c, "b") })
	ln, port := listenPort(t)
	strait(t, fmt.Sprintf(`events {} stream {
    upstream pool { server %s; server %s; server %s; }
    server { listen 127.0.0.1:%s; proxy_pass pool; proxy_connect_timeout 2s; }
}`, dead, a, b, port), ln)
	counts := map[string]int{}
	for range 100 {
		got := readAll(t, straittest.Dial(t, addr(port)))
		if got != "a" && got != "b" {
			t.Fatalf("session answered %q", got)
		}
		counts[got]++
	}
	if counts["a"] != 50 || counts["b"] != 50 {
		t.Errorf("live peers shared sessions %v, want 50/50", counts)
	}
}

func TestUnixSocketUpstream(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "up.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.WriteString(c, "from unix")
	}()
	lnS, port := listenPort(t)
	strait(t, fmt.Sprintf(`events {} stream { server { listen 127.0.0.1:%s; proxy_pass unix:%s; } }`, port, sock), lnS)
	if got := readAll(t, straittest.Dial(t, addr(port))); got != "from unix" {
		t.Fatalf("got %q", got)
	}
}

// nginxStreamModule is where Debian's nginx keeps the stream module.
const nginxStreamModule = "/usr/lib/nginx/modules/ngx_stream_module.so"

// TestBalancingMatchesNginx runs one configuration through nginx and
// through strait and compares which upstream served each session.
func TestBalancingMatchesNginx(t *testing.T) {
	nginx, err := exec.LookPath("nginx")
	if err == nil {
		_, err = os.Stat(nginxStreamModule)
	}
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("nginx not installed")
		}
		t.Fatal("nginx not installed")
	}
	names := []string{"a", "b", "c"}
	var ups []string
	for _, n := range names {
		ups = append(ups, straittest.ServeTCP(t, func(c net.Conn) { io.WriteString(c, n) }))
	}
	conf := func(port string) string {
		return fmt.Sprintf(`events {} stream {
    upstream w511 { server %s weight=5; server %s; server %s; }
    server { listen 127.0.0.1:%s; proxy_pass w511; }
}`, ups[0], ups[1], ups[2], port)
	}
	sequence := func(port string) string {
		var s strings.Builder
		for range 14 {
			s.WriteString(readAll(t, straittest.Dial(t, addr(port))))
		}
		return s.String()
	}

	// Each side serves one probe session first: nginx's is the readiness
	// check below.
	sln, sp := listenPort(t)
	strait(t, conf(sp), sln)
	readAll(t, straittest.Dial(t, addr(sp)))
	got := sequence(sp)

	dir := t.TempDir()
	nln, np := listenPort(t)
	// master_process stays on: nginx 1.22 in single-process mode crashes
	// on inherited sockets (its event module dereferences the connection
	// of the initial cycle's listener, which has none).
	text := "load_module " + nginxStreamModule + ";\ndaemon off; worker_processes 1; pid " + dir + "/nginx.pid; error_log " + dir + "/error.log;\n" +
		strings.Replace(conf(np), "events {}", "events { worker_connections 64; }", 1)
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(nginx, "-p", dir, "-c", filepath.Join(dir, "nginx.conf"))
	cmd.Stderr = os.Stderr
	// Its own process group, so that the worker goes with the master.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// nginx takes the socket from its NGINX variable, as in a binary
	// upgrade, instead of binding the address.
	release := straittest.PassListeners(t, cmd, "NGINX", nln)
	err = cmd.Start()
	release()
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) // fast shutdown
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		select {
		case <-exited:
		case <-time.After(waitLimit):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	}()
	for deadline := time.Now().Add(waitLimit); ; time.Sleep(10 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr(np)); err == nil {
			c.SetDeadline(time.Now().Add(waitLimit))
			io.ReadAll(c)
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("nginx did not start listening")
		}
	}
	want := sequence(np)
	if got != want {
		t.Errorf("strait %q, nginx %q", got, want)
	}
}
