package process

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/straittest"
)

type instance struct {
	dir, conf, listen string
	cmd               *exec.Cmd
	stderr            *bytes.Buffer
	done              chan error
}

func confText(dir, listen, upstream string, daemonOff bool) string {
	d := ""
	if daemonOff {
		d = "daemon off;\n"
	}
	return fmt.Sprintf(`%spid %[2]s/strait.pid;
error_log %[2]s/error.log info;
events {} stream {
    log_format basic '$remote_addr $status $upstream_addr';
    access_log %[2]s/access.log basic;
    server {
        listen %[3]s;
        proxy_pass %[4]s;
    }
}
`, d, dir, listen, upstream)
}

func writeConf(t *testing.T, path, text string) {
	t.Helper()
	if !strings.Contains(text, "events") {
		// strait, like nginx, requires an events block; put it on the
		// first line, where it moves no line number the tests look for.
		text = "events {} " + text
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// start runs strait in the foreground (daemon off) and waits until it
// proxies to the echo server named want.
func start(t *testing.T, upstream, want string) *instance {
	t.Helper()
	dir := t.TempDir()
	ln, listen := straittest.ListenAddr(t)
	in := &instance{dir: dir, conf: filepath.Join(dir, "strait.conf"), listen: listen, stderr: &bytes.Buffer{}, done: make(chan error, 1)}
	writeConf(t, in.conf, confText(dir, in.listen, upstream, true))
	in.cmd = exec.Command(straitBin, "-c", in.conf)
	in.cmd.Stderr = in.stderr
	release := straittest.PassListeners(t, in.cmd, "STRAIT", ln)
	err := in.cmd.Start()
	release()
	if err != nil {
		t.Fatal(err)
	}
	go func() { in.done <- in.cmd.Wait() }()
	t.Cleanup(func() {
		in.cmd.Process.Kill()
		<-in.done
	})
	in.expect(t, want)
	return in
}

func (in *instance) expect(t *testing.T, name string) {
	t.Helper()
	eventually(t, "proxying to "+name, func() error {
		got, err := ask(in.listen, "ping")
		if err != nil {
			return err
		}
		if got != name+": ping" {
			return fmt.Errorf("got %q, want %q", got, name+": ping")
		}
		return nil
	})
}

func (in *instance) ctl(t *testing.T, signal string) {
	t.Helper()
	out, err := exec.Command(straitBin, "-s", signal, "-c", in.conf).CombinedOutput()
	if err != nil {
		t.Fatalf("strait -s %s: %v\n%s", signal, err, out)
	}
}

func (in *instance) waitExit(t *testing.T) error {
	t.Helper()
	select {
	case err := <-in.done:
		in.done <- err
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("strait did not exit; stderr:\n%s", in.stderr)
		return nil
	}
}

func TestReloadReopenAndGracefulQuit(t *testing.T) {
	a, b := startEcho(t, "a"), startEcho(t, "b")
	in := start(t, a, "a")

	// A session opened before the reload keeps its upstream.
	long := dialSession(t, in.listen)
	if got := long.ask(t, "before"); got != "a: before" {
		t.Fatalf("long session: %q", got)
	}

	writeConf(t, in.conf, confText(in.dir, in.listen, b, true))
	in.ctl(t, "reload")
	in.expect(t, "b")
	if got := long.ask(t, "after"); got != "a: after" {
		t.Fatalf("long session after reload: %q", got)
	}

	// A broken configuration is refused; the running one stays. (-s
	// reload itself parses the file, as nginx does, so send HUP directly.)
	writeConf(t, in.conf, "events {} stream { server { proxy_sl on; } }\n")
	in.cmd.Process.Signal(syscall.SIGHUP)
	eventually(t, "error log names the broken directive", func() error {
		b, _ := os.ReadFile(filepath.Join(in.dir, "error.log"))
		if !strings.Contains(string(b), `unknown directive "proxy_sl"`) {
			return fmt.Errorf("error.log:\n%s", b)
		}
		return nil
	})
	in.expect(t, "b")
	writeConf(t, in.conf, confText(in.dir, in.listen, b, true))

	// USR1 reopens the access log after rotation.
	access := filepath.Join(in.dir, "access.log")
	if err := os.Rename(access, access+".1"); err != nil {
		t.Fatal(err)
	}
	in.ctl(t, "reopen")
	eventually(t, "new access.log after reopen", func() error {
		ask(in.listen, "rotated")
		b, err := os.ReadFile(access)
		if err != nil || !strings.Contains(string(b), " 200 ") {
			return fmt.Errorf("access.log: %q, %v", b, err)
		}
		return nil
	})

	// QUIT drains: the open session still works, and the process exits
	// once it ends.
	in.ctl(t, "quit")
	time.Sleep(200 * time.Millisecond)
	select {
	case err := <-in.done:
		t.Fatalf("strait exited before the session ended: %v\n%s", err, in.stderr)
	default:
	}
	if got := long.ask(t, "draining"); got != "a: draining" {
		t.Fatalf("session during drain: %q", got)
	}
	long.close()
	if err := in.waitExit(t); err != nil {
		t.Fatalf("exit: %v\n%s", err, in.stderr)
	}
	if _, err := os.Stat(filepath.Join(in.dir, "strait.pid")); !os.IsNotExist(err) {
		t.Errorf("pid file left behind: %v", err)
	}
}

func TestTermStopsAtOnce(t *testing.T) {
	a := startEcho(t, "a")
	in := start(t, a, "a")
	s := dialSession(t, in.listen)
	if got := s.ask(t, "x"); got != "a: x" {
		t.Fatalf("%q", got)
	}
	in.cmd.Process.Signal(syscall.SIGTERM)
	if err := in.waitExit(t); err != nil {
		t.Fatalf("exit: %v", err)
	}
	s.close()
}

func TestDaemonOnDetachesAndStops(t *testing.T) {
	a := startEcho(t, "a")
	dir := t.TempDir()
	conf := filepath.Join(dir, "strait.conf")
	// The daemon child gets the socket from the parent, which got it from
	// the test: a forking nginx keeps inherited sockets the same way.
	ln, listen := straittest.ListenAddr(t)
	writeConf(t, conf, confText(dir, listen, a, false))
	cmd := exec.Command(straitBin, "-c", conf)
	release := straittest.PassListeners(t, cmd, "STRAIT", ln)
	out, err := cmd.CombinedOutput()
	release()
	if err != nil {
		t.Fatalf("strait with daemon on: %v\n%s", err, out)
	}
	pid := readPID(t, filepath.Join(dir, "strait.pid"))
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	if pid == cmd.Process.Pid || !alive(pid) {
		t.Fatalf("daemon pid %d (parent %d) not running", pid, cmd.Process.Pid)
	}
	if got, err := ask(listen, "ping"); err != nil || got != "a: ping" {
		t.Fatalf("through daemon: %q %v", got, err)
	}
	if out, err := exec.Command(straitBin, "-s", "stop", "-c", conf).CombinedOutput(); err != nil {
		t.Fatalf("-s stop: %v\n%s", err, out)
	}
	eventually(t, "daemon exit", func() error {
		if alive(pid) {
			return fmt.Errorf("pid %d still running", pid)
		}
		return nil
	})
}

func TestStartupErrors(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "strait.conf")
	writeConf(t, conf, "daemon off;\nevents {} stream {\n  server {\n    listen 127.0.0.1:1;\n    proxy_pass 127.0.0.1:2;\n    proxy_ssl maybe;\n  }\n}\n")
	out, err := exec.Command(straitBin, "-c", conf).CombinedOutput()
	want := `strait: [emerg] invalid value "maybe" in "proxy_ssl" directive, it must be "on" or "off" in ` + conf + ":6"
	if err == nil || !strings.Contains(string(out), want) {
		t.Errorf("bad config: err %v, output:\n%s\nwant %s", err, out, want)
	}

	// A log that cannot be opened fails the start as it fails -t, in
	// nginx's words.
	missing := filepath.Join(dir, "no", "such", "dir", "access.log")
	writeConf(t, conf, strings.Replace(confText(dir, "127.0.0.1:1", "127.0.0.1:2", true), dir+"/access.log", missing, 1))
	want = `strait: [emerg] open() "` + missing + `" failed (2: No such file or directory)` + "\n"
	for _, args := range [][]string{{"-t", "-c", conf}, {"-c", conf}} {
		out, err = exec.Command(straitBin, args...).CombinedOutput()
		if err == nil || !strings.Contains(string(out), want) {
			t.Errorf("strait %s with a missing log directory: err %v, output:\n%s\nwant %s", strings.Join(args, " "), err, out, want)
		}
	}

	busy := startEcho(t, "busy")
	writeConf(t, conf, confText(dir, busy, "127.0.0.1:2", true))
	out, err = exec.Command(straitBin, "-c", conf).CombinedOutput()
	want = "bind() to " + busy + " failed (98: Address already in use)"
	if err == nil || !strings.Contains(string(out), want) {
		t.Errorf("busy port: err %v, output:\n%s\nwant %s", err, out, want)
	}
}
