//go:build linux

package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// System calls are counted with perf(1)'s software tracepoint
// raw_syscalls:sys_enter, attached to every process of the proxy (nginx's
// master and workers, the haproxy process, the strait process) and
// inherited by threads they start while counted. Counting in the kernel
// costs little, unlike strace, which stops the process at every call and
// would change what it measures. Without perf (Debian package linux-perf)
// the rows stay empty and the notes say so.

// syscallTool is how system calls are counted, or why they are not.
type syscallTool struct {
	perf    string // path of perf; "" when missing or unusable
	missing string // why counting is off, for the report
}

// findSyscallTool looks for a perf that can count the tracepoint.
func findSyscallTool(lookPath func(string) (string, error)) syscallTool {
	p, err := lookPath("perf")
	if err != nil {
		return syscallTool{missing: "perf not found (Debian package linux-perf): system call rows are empty"}
	}
	out, err := exec.Command(p, "stat", "-x", ",", "-e", "raw_syscalls:sys_enter", "--", "true").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "raw_syscalls:sys_enter") || strings.Contains(string(out), "<not supported>") {
		return syscallTool{missing: "perf cannot count raw_syscalls:sys_enter here (" + firstLine(strings.TrimSpace(string(out))) + "): system call rows are empty"}
	}
	return syscallTool{perf: p}
}

// syscallCount is a running count over a set of processes.
type syscallCount struct {
	cmd  *exec.Cmd
	out  string
	done chan error
}

// start attaches a counter to pids; nil when counting is off.
func (st syscallTool) start(dir string, pids []int) *syscallCount {
	if st.perf == "" || len(pids) == 0 {
		return nil
	}
	list := make([]string, len(pids))
	for i, p := range pids {
		list[i] = strconv.Itoa(p)
	}
	out := filepath.Join(dir, fmt.Sprintf("perf-%d.csv", time.Now().UnixNano()))
	cmd := exec.Command(st.perf, "stat", "-x", ",", "-e", "raw_syscalls:sys_enter", "-o", out,
		"-p", strings.Join(list, ","))
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil
	}
	c := &syscallCount{cmd: cmd, out: out, done: make(chan error, 1)}
	go func() { c.done <- cmd.Wait() }()
	// perf attaches asynchronously; give it a moment so the load's first
	// calls are counted.
	time.Sleep(100 * time.Millisecond)
	return c
}

// stop ends the count and returns the number of system calls made.
func (c *syscallCount) stop() (float64, error) {
	if c == nil {
		return 0, errors.New("not counted")
	}
	_ = c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
	defer os.Remove(c.out)
	f, err := os.Open(c.out)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return parsePerfCount(bufio.NewScanner(f))
}

// parsePerfCount reads perf stat's CSV output (-x ,): "count,unit,event,...".
func parsePerfCount(sc *bufio.Scanner) (float64, error) {
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ",")
		if len(fields) < 3 || fields[2] != "raw_syscalls:sys_enter" {
			continue
		}
		n, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return 0, fmt.Errorf("perf count %q: %w", fields[0], err)
		}
		return n, nil
	}
	return 0, errors.New("perf printed no count")
}

// countSyscalls starts counting the instance's proxy processes; the
// direct baseline has none.
func (in *instance) countSyscalls() *syscallCount {
	if in.proc == nil {
		return nil
	}
	var pids []int
	for _, st := range in.procfs.tree(in.proc.PID()) {
		pids = append(pids, st.PID)
	}
	return in.sys.start(in.dir, pids)
}
