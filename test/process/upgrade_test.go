package process

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/straittest"
)

// upgradeConf logs the pid of the process that served each session, to
// tell the old binary from the new one.
func upgradeConf(dir, listen, upstream, extra string) string {
	return fmt.Sprintf(`%[4]spid %[1]s/strait.pid;
error_log %[1]s/error.log info;
stream {
    log_format bypid '$pid $status $upstream_addr';
    access_log %[1]s/access.log bypid;
    server {
        listen %[2]s;
        proxy_pass %[3]s;
    }
}
`, dir, listen, upstream, extra)
}

// clientLoop makes sessions through addr one after another until stop
// (at most 20000, each bounded by ask's deadlines) and counts failures.
type clientLoop struct {
	ok, failed atomic.Int64
	firstErr   atomic.Value
	stop       chan struct{}
	wg         sync.WaitGroup
}

func startClientLoop(addr, want string) *clientLoop {
	l := &clientLoop{stop: make(chan struct{})}
	l.wg.Go(func() {
		for i := 0; i < 20000; i++ {
			select {
			case <-l.stop:
				return
			default:
			}
			msg := "n" + strconv.Itoa(i)
			got, err := ask(addr, msg)
			if err == nil && !strings.HasSuffix(got, ": "+msg) {
				err = fmt.Errorf("got %q", got)
			}
			if err != nil {
				l.failed.Add(1)
				l.firstErr.CompareAndSwap(nil, err.Error())
				continue
			}
			l.ok.Add(1)
		}
	})
	return l
}

func (l *clientLoop) finish(t *testing.T) {
	t.Helper()
	close(l.stop)
	l.wg.Wait()
	t.Logf("client loop: %d sessions, %d failed", l.ok.Load(), l.failed.Load())
	if n := l.failed.Load(); n > 0 {
		t.Errorf("%d sessions failed during the upgrade; first: %v", n, l.firstErr.Load())
	}
	if l.ok.Load() == 0 {
		t.Errorf("no session went through")
	}
}

// servedBy waits until the access log names pid as the server of a
// session.
func servedBy(t *testing.T, dir string, pid int) {
	t.Helper()
	eventually(t, fmt.Sprintf("a session served by %d", pid), func() error {
		b, _ := os.ReadFile(filepath.Join(dir, "access.log"))
		if strings.Contains("\n"+string(b), "\n"+strconv.Itoa(pid)+" 200 ") {
			return nil
		}
		return fmt.Errorf("none yet")
	})
}

func logHas(t *testing.T, dir, what string) {
	t.Helper()
	eventually(t, "error.log saying "+what, func() error {
		b, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		if strings.Contains(string(b), what) {
			return nil
		}
		return fmt.Errorf("error.log:\n%s", b)
	})
}

// killWhenDone stops a process that is not the test's child (the new
// binary, whose parent was the old one).
func killWhenDone(t *testing.T, pid int) {
	t.Cleanup(func() {
		syscall.Kill(pid, syscall.SIGTERM)
		for i := 0; i < 200 && alive(pid); i++ {
			time.Sleep(10 * time.Millisecond)
		}
	})
}

func TestBinaryUpgradeDropsNoConnection(t *testing.T) {
	for _, mode := range []struct{ name, extra string }{{"daemon off", "daemon off;\n"}, {"daemon on", ""}} {
		t.Run(mode.name, func(t *testing.T) { testUpgrade(t, mode.extra) })
	}
}

func testUpgrade(t *testing.T, extra string) {
	a, b := startEcho(t, "a"), startEcho(t, "b")
	dir := t.TempDir()
	conf := filepath.Join(dir, "strait.conf")
	pidFile := filepath.Join(dir, "strait.pid")
	ln, listen := straittest.ListenAddr(t)
	writeConf(t, conf, upgradeConf(dir, listen, a, extra))
	stderr := runInheriting(t, exec.Command(straitBin, "-c", conf), "STRAIT", ln)
	in := &instance{dir: dir, conf: conf, listen: listen}
	in.expect(t, "a")
	oldPID := readPID(t, pidFile)
	if extra == "" {
		killWhenDone(t, oldPID) // the daemon, not the test's child
	}

	// A session opened on the old binary lives through the upgrade.
	long := dialSession(t, listen)
	if got := long.ask(t, "long"); got != "a: long" {
		t.Fatalf("long session: %q", got)
	}
	loop := startClientLoop(listen, "a")

	syscall.Kill(oldPID, syscall.SIGUSR2)
	newPID := waitNewPID(t, pidFile, oldPID)
	killWhenDone(t, newPID)
	if got := readPID(t, pidFile+".oldbin"); got != oldPID {
		t.Errorf("strait.pid.oldbin holds %d, want the old pid %d", got, oldPID)
	}
	logHas(t, dir, fmt.Sprintf("new binary process %d is ready", newPID))
	servedBy(t, dir, newPID)

	// WINCH: the old binary stops accepting; the new one takes everything.
	syscall.Kill(oldPID, syscall.SIGWINCH)
	logHas(t, dir, "signal 28 (SIGWINCH) received, stop accepting connections")
	if got := long.ask(t, "still"); got != "a: still" {
		t.Errorf("the long session after WINCH: %q", got)
	}
	long.close()

	// QUIT: the old binary drains and exits, removing strait.pid.oldbin.
	syscall.Kill(oldPID, syscall.SIGQUIT)
	eventually(t, "the old binary's exit", func() error {
		if _, err := os.Stat(pidFile + ".oldbin"); err == nil {
			return fmt.Errorf("strait.pid.oldbin still exists")
		}
		if alive(oldPID) && !zombie(oldPID) {
			return fmt.Errorf("%d still runs", oldPID)
		}
		return nil
	})
	servedBy(t, dir, newPID)

	// The new binary reloads as usual.
	writeConf(t, conf, upgradeConf(dir, listen, b, extra))
	in.ctl(t, "reload")
	loop.finish(t)
	in.expect(t, "b")
	if readPID(t, pidFile) != newPID {
		t.Errorf("the pid file no longer names the new binary")
	}
	if t.Failed() {
		b, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		t.Logf("error.log:\n%s\nstderr:\n%s", b, stderr)
	}
}

// waitNewPID waits until the pid file names a process other than old.
func waitNewPID(t *testing.T, pidFile string, old int) int {
	t.Helper()
	var pid int
	eventually(t, "the new binary's pid file", func() error {
		b, err := os.ReadFile(pidFile)
		if err != nil {
			return err
		}
		pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		if pid == 0 || pid == old {
			return fmt.Errorf("pid file holds %q", b)
		}
		return nil
	})
	return pid
}

// zombie reports whether pid has exited but not been reaped (the test
// reaps its own child only in the cleanup).
func zombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	return strings.HasPrefix(rest, "Z")
}

func TestFailedUpgradeKeepsTheOldBinary(t *testing.T) {
	a := startEcho(t, "a")
	in := start(t, a, "a")
	pidFile := filepath.Join(in.dir, "strait.pid")
	oldPID := readPID(t, pidFile)
	// The new binary reads the same arguments, so a broken configuration
	// makes it fail before it is ready.
	writeConf(t, in.conf, "stream { bogus; }\n")
	in.cmd.Process.Signal(syscall.SIGUSR2)
	logHas(t, in.dir, "before it was ready; the old binary keeps serving")
	logHas(t, in.dir, `[emerg] unknown directive "bogus"`)
	if got := readPID(t, pidFile); got != oldPID {
		t.Errorf("pid file holds %d after the failed upgrade, want %d", got, oldPID)
	}
	if _, err := os.Stat(pidFile + ".oldbin"); err == nil {
		t.Errorf("strait.pid.oldbin was left behind")
	}
	in.expect(t, "a")
	b, _ := os.ReadFile(filepath.Join(in.dir, "error.log"))
	for _, want := range []string{"signal 12 (SIGUSR2) received, changing binary", "start new binary process"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("error.log lacks %q:\n%s", want, b)
		}
	}
}

// Rolling back: QUIT to the new binary after WINCH to the old one makes
// the old one accept again and take its pid file back.
func TestUpgradeRollsBackWhenTheNewBinaryQuits(t *testing.T) {
	a := startEcho(t, "a")
	in := start(t, a, "a")
	pidFile := filepath.Join(in.dir, "strait.pid")
	oldPID := readPID(t, pidFile)
	in.cmd.Process.Signal(syscall.SIGUSR2)
	newPID := waitNewPID(t, pidFile, oldPID)
	killWhenDone(t, newPID)
	logHas(t, in.dir, fmt.Sprintf("new binary process %d is ready", newPID))
	in.cmd.Process.Signal(syscall.SIGWINCH)
	logHas(t, in.dir, "stop accepting connections")
	in.expect(t, "a") // the new binary serves alone now
	syscall.Kill(newPID, syscall.SIGQUIT)
	logHas(t, in.dir, fmt.Sprintf("new binary process %d exited with code 0", newPID))
	logHas(t, in.dir, "accepting connections again")
	if got := readPID(t, pidFile); got != oldPID {
		t.Errorf("pid file holds %d after the rollback, want %d", got, oldPID)
	}
	in.expect(t, "a")
}
