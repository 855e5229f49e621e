package process

import (
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

// TestServerLevelErrorLog checks that an error_log inside a server block
// receives that server's session lines while the main log keeps its level.
func TestServerLevelErrorLog(t *testing.T) {
	a := startEcho(t, "a")
	dir := t.TempDir()
	conf := filepath.Join(dir, "strait.conf")
	ln, listen := straittest.ListenAddr(t)
	writeConf(t, conf, fmt.Sprintf(`daemon off;
pid %[1]s/strait.pid;
error_log %[1]s/main.log error;
events {} stream {
    server {
        listen %[2]s;
        proxy_pass %[3]s;
        error_log %[1]s/server.log info;
    }
}
`, dir, listen, a))
	cmd := exec.Command(straitBin, "-c", conf)
	release := straittest.PassListeners(t, cmd, "STRAIT", ln)
	err := cmd.Start()
	release()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	eventually(t, "proxying", func() error {
		_, err := ask(listen, "x")
		return err
	})
	eventually(t, "server.log has the session", func() error {
		b, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		if !strings.Contains(string(b), "connected to "+listen) {
			return fmt.Errorf("server.log:\n%s", b)
		}
		return nil
	})
	if b, _ := os.ReadFile(filepath.Join(dir, "main.log")); strings.Contains(string(b), "[info]") {
		t.Errorf("main.log has info lines:\n%s", b)
	}
}

// TestErrorLogFollowsReload starts with error_log a.log and reloads to
// b.log: from the reload on, the process's own messages go to b.log with
// the sessions', as nginx's do. (nginx too logs the SIGHUP itself to the
// old file, before it reads the new configuration.) A reload that fails
// because its error log cannot be opened keeps b.log.
func TestErrorLogFollowsReload(t *testing.T) {
	up := startEcho(t, "a")
	dir := t.TempDir()
	conf := filepath.Join(dir, "strait.conf")
	ln, listen := straittest.ListenAddr(t)
	confWith := func(errorLog string) string {
		return fmt.Sprintf(`daemon off;
pid %[1]s/strait.pid;
error_log %[2]s info;
events {} stream {
    server {
        listen %[3]s;
        proxy_pass %[4]s;
    }
}
`, dir, errorLog, listen, up)
	}
	aLog, bLog := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	writeConf(t, conf, confWith(aLog))
	cmd := exec.Command(straitBin, "-c", conf)
	var stderr straittest.LockedBuffer
	cmd.Stderr = &stderr
	release := straittest.PassListeners(t, cmd, "STRAIT", ln)
	err := cmd.Start()
	release()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	read := func(path string) string {
		b, _ := os.ReadFile(path)
		return string(b)
	}
	waitLog := func(path, want string) {
		t.Helper()
		eventually(t, path+" has "+want, func() error {
			if !strings.Contains(read(path), want) {
				return fmt.Errorf("%s:\n%s", path, read(path))
			}
			return nil
		})
	}
	waitLog(aLog, "started")
	if _, err := ask(listen, "before"); err != nil {
		t.Fatal(err)
	}

	writeConf(t, conf, confWith(bLog))
	cmd.Process.Signal(syscall.SIGHUP)
	waitLog(bLog, "configuration reloaded")
	if _, err := ask(listen, "after"); err != nil {
		t.Fatal(err)
	}
	waitLog(bLog, "connected to "+listen)

	bad := filepath.Join(dir, "no", "such", "dir", "c.log")
	writeConf(t, conf, confWith(bad))
	cmd.Process.Signal(syscall.SIGHUP)
	waitLog(bLog, "reload failed, still running the previous configuration")

	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-done:
		done <- err
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("strait did not exit:\n%s", stderr.String())
	}

	a, b := read(aLog), read(bLog)
	if want := "signal 1 (SIGHUP) received, reconfiguring\n"; !strings.Contains(a, want) {
		t.Errorf("a.log lacks %q:\n%s", want, a)
	}
	for _, notWant := range []string{"configuration reloaded", "reload failed", "SIGTERM", "] exit"} {
		if strings.Contains(a, notWant) {
			t.Errorf("a.log has %q, logged after the switch to b.log:\n%s", notWant, a)
		}
	}
	for _, want := range []string{
		"[notice] " + pidPrefix(b) + "configuration reloaded\n",
		`[emerg] ` + pidPrefix(b) + `open() "` + bad + `" failed (2: No such file or directory)` + "\n",
		"signal 1 (SIGHUP) received, reconfiguring\n",
		"reload failed, still running the previous configuration\n",
		"signal 15 (SIGTERM) received, exiting\n",
		"[notice] " + pidPrefix(b) + "exit\n",
	} {
		if !strings.Contains(b, want) {
			t.Errorf("b.log lacks %q:\n%s", want, b)
		}
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Errorf("the failed reload's log: %v", err)
	}
}

// pidPrefix returns the "PID#PID: " of the first line of an error log.
func pidPrefix(log string) string {
	_, rest, _ := strings.Cut(log, "] ")
	prefix, _, _ := strings.Cut(rest, " ")
	return prefix + " "
}
