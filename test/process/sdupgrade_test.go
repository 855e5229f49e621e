package process

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// Under Type=notify the main process changes in a binary upgrade: the new
// binary stays silent at start (systemd would refuse a notification from
// a process that is not the main one) and the old one names it with
// MAINPID= once it serves; the new one then reports its reloads.
func TestUpgradeHandsMainPIDToSystemd(t *testing.T) {
	dir := t.TempDir()
	sock, read := notifySocket(t, dir)
	pidFile := filepath.Join(dir, "strait.pid")
	conf := filepath.Join(dir, "strait.conf")
	writeConf(t, conf, "pid "+pidFile+";\nerror_log "+filepath.Join(dir, "error.log")+" info;\nstream {\n}\n")
	cmd := exec.Command(straitBin, "-c", conf, "-g", "daemon off;")
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+sock)
	runInheriting(t, cmd, "")
	if got := read(); got != "READY=1\nSTATUS=serving\n" {
		t.Fatalf("first notification %q", got)
	}
	cmd.Process.Signal(syscall.SIGUSR2)
	newPID := waitNewPID(t, pidFile, cmd.Process.Pid)
	killWhenDone(t, newPID)
	if got, want := read(), fmt.Sprintf("MAINPID=%d\nSTATUS=serving; a new binary took over\n", newPID); got != want {
		t.Fatalf("after USR2 got %q, want %q", got, want)
	}
	syscall.Kill(newPID, syscall.SIGHUP)
	if got := read(); len(got) < 12 || got[:12] != "RELOADING=1\n" {
		t.Fatalf("the new binary's reload: %q", got)
	}
	if got := read(); got != "READY=1\nSTATUS=serving\n" {
		t.Fatalf("the new binary's reload: %q", got)
	}
}
