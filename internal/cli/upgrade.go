package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"

	"github.com/straitproxy/strait/internal/errlog"
	"github.com/straitproxy/strait/internal/metrics"
	"github.com/straitproxy/strait/internal/ngxconf"
	"github.com/straitproxy/strait/internal/server"
)

// A binary upgrade follows nginx's procedure (USR2, WINCH, QUIT): on USR2
// the running process renames its pid file to PIDFILE.oldbin and starts
// the binary now at its own path, with the same arguments and its
// listening sockets inherited through STRAIT. The new process adopts
// them, writes the pid file and serves beside the old one; WINCH makes
// the old one stop accepting, QUIT drains it. If the new process exits,
// before it was ready or later (a rollback: QUIT to the new one), the old
// one renames .oldbin back and, if WINCH had stopped it, accepts again.
//
// Unlike nginx, the new process reports readiness over a pipe (its
// descriptor 3, as a daemon child does), and whatever it writes to
// standard error before then is logged by the old process too: the old
// one may be a daemon whose standard error goes nowhere, and a new binary
// refusing the configuration must not fail silently.
const upgradeEnv = "STRAIT_UPGRADE" // the old process's pid, in the new one

// takeUpgradeEnv reads and removes STRAIT_UPGRADE: the pid of the old
// binary when this process is the new binary of an upgrade, else 0.
func takeUpgradeEnv() int {
	v, ok := os.LookupEnv(upgradeEnv)
	if !ok {
		return 0
	}
	os.Unsetenv(upgradeEnv)
	pid, _ := strconv.Atoi(v)
	return pid
}

// upgrade is a new binary started by USR2, seen from the old process.
type upgrade struct {
	pid     int
	cmd     *exec.Cmd
	ready   chan struct{} // closed when the new binary reports ready
	exited  chan error    // cmd.Wait's result
	pidFile string        // the pid file as configured; "" when off
	isReady bool
}

// readyC and exitC are nil for no upgrade, so that a select skips them.
func (u *upgrade) readyC() <-chan struct{} {
	if u == nil || u.isReady {
		return nil
	}
	return u.ready
}

func (u *upgrade) exitC() <-chan error {
	if u == nil {
		return nil
	}
	return u.exited
}

// oldbin is nginx's name for the old binary's pid file.
func oldbin(pidFile string) string { return pidFile + ".oldbin" }

// startUpgrade renames the pid file and starts the new binary. On error
// the old process goes on as before; the error says why in nginx's words.
func startUpgrade(srv *server.Server, endpoint *metrics.Endpoint, statusListen, pidFile string, log *slog.Logger) (*upgrade, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("cannot find own executable: %v", err)
	}
	if pidFile != "" {
		if err := os.Rename(pidFile, oldbin(pidFile)); err != nil {
			return nil, fmt.Errorf("rename() %q to %q failed (%s)", pidFile, oldbin(pidFile), ngxconf.OSReason(err))
		}
	}
	u, err := execNewBinary(exe, srv, endpoint, statusListen, log)
	if err != nil {
		if pidFile != "" {
			renameBack(pidFile, log)
		}
		return nil, err
	}
	u.pidFile = pidFile
	return u, nil
}

func execNewBinary(exe string, srv *server.Server, endpoint *metrics.Endpoint, statusListen string, log *slog.Logger) (*upgrade, error) {
	files, err := srv.ListenerFiles()
	if err != nil {
		return nil, fmt.Errorf("cannot pass the listening sockets: %v", err)
	}
	// The status endpoint is handed over too: the new binary could not
	// bind its address while the old one holds it. With port 0 each
	// process has its own port and nothing is handed over.
	if !strings.HasSuffix(statusListen, ":0") {
		if f, err := endpoint.File(); err == nil && f != nil {
			files = append(files, f)
		}
	}
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("pipe() failed (%s)", ngxconf.OSReason(err))
	}
	var inherit strings.Builder
	for i := range files {
		fmt.Fprintf(&inherit, "%d;", 4+i) // after the ready pipe, descriptor 3
	}
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Env = append(childEnv(), inheritEnv+"="+inherit.String(), upgradeEnv+"="+strconv.Itoa(os.Getpid()))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.ExtraFiles = append([]*os.File{w}, files...)
	err = cmd.Start()
	w.Close()
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("execve() failed while executing new binary process %q (%s)", exe, ngxconf.OSReason(err))
	}
	u := &upgrade{pid: cmd.Process.Pid, cmd: cmd, ready: make(chan struct{}), exited: make(chan error, 1)}
	go u.readReady(r, log)
	go func() { u.exited <- cmd.Wait() }()
	log.Log(context.Background(), levelNotice, fmt.Sprintf("start new binary process %d", u.pid))
	return u, nil
}

// readReady relays what the new binary says before it is ready and
// closes ready when it says "ready".
func (u *upgrade) readReady(r *os.File, log *slog.Logger) {
	defer r.Close()
	lines := bufio.NewScanner(r)
	for lines.Scan() {
		line := lines.Text()
		if line == "ready" {
			close(u.ready)
			return
		}
		log.Error(fmt.Sprintf("new binary process %d: %s", u.pid, strings.TrimPrefix(line, "strait: ")))
	}
}

// finished handles the exit of the new binary: the pid file becomes the
// old process's again.
func (u *upgrade) finished(err error, log *slog.Logger) {
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	}
	msg := fmt.Sprintf("new binary process %d exited with code %d", u.pid, code)
	if !u.isReady {
		msg += " before it was ready; the old binary keeps serving"
	}
	log.Log(context.Background(), errlog.LevelAlert, msg)
	if u.pidFile != "" {
		renameBack(u.pidFile, log)
	}
}

func renameBack(pidFile string, log *slog.Logger) {
	if err := os.Rename(oldbin(pidFile), pidFile); err != nil {
		log.Log(context.Background(), errlog.LevelAlert,
			fmt.Sprintf("rename() %q back to %q failed (%s)", oldbin(pidFile), pidFile, ngxconf.OSReason(err)))
	}
}

// childEnv is this process's environment for the new binary, without the
// variables that describe this process's own start.
func childEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case inheritEnv, upgradeEnv, daemonEnv, "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES":
			continue
		}
		out = append(out, kv)
	}
	return out
}

// upgradeIgnored reports whether USR2 is to be ignored, as nginx ignores
// it in the old process while a new binary runs, and in a new binary
// whose old process is still running.
func upgradeIgnored(u *upgrade, oldPID int) bool {
	return u != nil || (oldPID > 0 && os.Getppid() == oldPID && syscall.Kill(oldPID, 0) == nil)
}
