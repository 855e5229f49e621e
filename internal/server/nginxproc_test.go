package server

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/straitproxy/strait/internal/straittest"
)

// startNginx runs nginx on text (a whole nginx.conf) in dir until the
// test ends, serving lns, which the test bound for the configuration's
// listen addresses: nginx takes them from its NGINX variable, as in a
// binary upgrade, so no port is picked and bound later. Its master process
// stays on, since nginx 1.22 in single-process mode crashes on inherited
// sockets; a process group of its own lets the worker go with the master.
// It returns nginx's stderr.
func startNginx(t *testing.T, nginx, dir, text string, lns ...net.Listener) *straittest.LockedBuffer {
	t.Helper()
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(nginx, "-e", "stderr", "-p", dir+"/", "-c", conf,
		"-g", "daemon off; worker_processes 1; pid "+filepath.Join(dir, "nginx.pid")+";")
	stderr := &straittest.LockedBuffer{}
	cmd.Stderr = stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	release := straittest.PassListeners(t, cmd, "NGINX", lns...)
	err := cmd.Start()
	release()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		cmd.Wait()
	})
	return stderr
}
