package cli

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// A Go program cannot fork safely, so `daemon on` (nginx's default) re-runs
// the same binary with the same arguments in a new session, detached from
// the terminal, and waits until that child has bound its listeners and
// written its pid file (or failed) before returning. A classic
// `Type=forking` unit with a PIDFile works unchanged; under a supervisor
// that wants the process in the foreground, use `daemon off;` (or
// `-g 'daemon off;'`), as with nginx.
const daemonEnv = "STRAIT_DAEMON_CHILD"

func isDaemonChild() bool { return os.Getenv(daemonEnv) == "1" }

func daemonize(env Env, inh *inherited) int {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(env.Stderr, "strait: [emerg] cannot find own executable: %v\n", err)
		return 1
	}
	r, w, err := os.Pipe()
	if err != nil {
		fmt.Fprintf(env.Stderr, "strait: [emerg] pipe() failed: %v\n", err)
		return 1
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintf(env.Stderr, "strait: [emerg] %v\n", err)
		return 1
	}
	defer devnull.Close()
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Env = append(os.Environ(), daemonEnv+"=1")
	cmd.Stdin, cmd.Stdout = devnull, devnull
	cmd.Stderr = os.Stderr // nginx keeps stderr for messages before the logs open
	// The ready pipe is the child's descriptor 3; inherited sockets, which
	// a forking nginx keeps, follow it and are named again in STRAIT.
	extra, inheritVar, err := inh.handDown([]*os.File{w})
	if err != nil {
		fmt.Fprintf(env.Stderr, "strait: [emerg] cannot pass the inherited sockets: %v\n", err)
		return 1
	}
	for _, f := range extra[1:] {
		defer f.Close()
	}
	if inheritVar != "" {
		cmd.Env = append(cmd.Env, inheritVar)
	}
	cmd.ExtraFiles = extra
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(env.Stderr, "strait: [emerg] cannot start daemon: %v\n", err)
		return 1
	}
	w.Close()
	done := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		done <- strings.TrimSpace(line)
	}()
	select {
	case msg := <-done:
		if msg == "ready" {
			cmd.Process.Release()
			return 0
		}
	case <-time.After(2 * time.Minute):
		fmt.Fprintln(env.Stderr, "strait: [emerg] daemon did not report ready within 2 minutes")
	}
	// The child failed before becoming ready; its error went to stderr.
	cmd.Wait()
	return 1
}

// readyPipe returns the pipe to the process waiting for this one to
// serve, its descriptor 3: the parent of a daemon child, or the old
// binary of an upgrade. It is nil otherwise.
func readyPipe(upgradeChild bool) *os.File {
	if !isDaemonChild() && !upgradeChild {
		return nil
	}
	return os.NewFile(3, "ready")
}

// notifyReady tells the waiting process that this one is serving. From
// then on a daemon's messages go to its error log; unless that log is
// stderr, detach points stderr at /dev/null (as nginx redirects it to the
// error log) so that nothing keeps the caller's terminal or pipe open.
func notifyReady(pipe *os.File, detach bool) {
	if detach {
		if devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0); err == nil {
			redirectStderr(devnull)
			devnull.Close()
		}
	}
	if pipe == nil {
		return
	}
	pipe.WriteString("ready\n")
	pipe.Close()
}

// readyLink is this process's stderr and its ready pipe. For the new
// binary of an upgrade (tee) it copies what is written to stderr into the
// pipe too, until the process is ready: the old binary logs it. A daemon
// parent reads only "ready" from the pipe, so a daemon child copies
// nothing.
type readyLink struct {
	mu   sync.Mutex
	w    io.Writer
	pipe *os.File // nil once ready
	tee  bool
}

func (e *readyLink) Write(p []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.tee && e.pipe != nil {
		e.pipe.Write(p) // best effort: the old binary may be gone
	}
	return e.w.Write(p)
}

// ready stops the copying and sends "ready" down the pipe.
func (e *readyLink) ready(detach bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	notifyReady(e.pipe, detach)
	e.pipe = nil
}
