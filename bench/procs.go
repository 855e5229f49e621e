//go:build linux

package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// supervisor starts external processes in their own process groups and
// makes sure every one of them is gone when the harness exits, also on
// Ctrl-C or error.
type supervisor struct {
	mu    sync.Mutex
	procs map[int]*process
}

func newSupervisor() *supervisor { return &supervisor{procs: map[int]*process{}} }

// process is one started program.
type process struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error // valid after done is closed
}

// PID is the process id of the started program.
func (p *process) PID() int { return p.cmd.Process.Pid }

// Exited reports whether the process has ended, with its wait error.
func (p *process) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// start runs name with args, stdout and stderr going to logPath.
func (s *supervisor) start(name, logPath string, args ...string) (*process, error) {
	log, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("create log for %s: %w", name, err)
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = log, log
	// Own process group, so stop can signal nginx's workers too; and
	// SIGKILL if the harness dies without cleaning up.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		log.Close()
		close(p.done)
	}()
	s.mu.Lock()
	s.procs[p.PID()] = p
	s.mu.Unlock()
	return p, nil
}

// stop asks the process group to terminate and kills it after a grace
// period.
func (s *supervisor) stop(p *process) {
	if p == nil {
		return
	}
	pgid := p.PID()
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
	// Workers that outlived their master get the same end.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	s.mu.Lock()
	delete(s.procs, pgid)
	s.mu.Unlock()
}

// stopAll stops every process still running; used on exit.
func (s *supervisor) stopAll() {
	s.mu.Lock()
	var ps []*process
	for _, p := range s.procs {
		ps = append(ps, p)
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range ps {
		wg.Add(1)
		go func() { defer wg.Done(); s.stop(p) }()
	}
	wg.Wait()
}

// waitListening waits until every address accepts a TCP connection, or
// the process exits, or the timeout passes.
func waitListening(ctx context.Context, p *process, addrs []string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for _, addr := range addrs {
		for attempt := 0; ; attempt++ {
			if exited, err := p.Exited(); exited {
				return fmt.Errorf("%s exited before listening on %s: %v", p.name, addr, err)
			}
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) || attempt > 1000 {
				return fmt.Errorf("%s not listening on %s after %v: %w", p.name, addr, timeout, err)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	return nil
}

// freePorts returns n distinct free TCP ports on 127.0.0.1. They are
// released before return; a race with another program is possible but
// harmless on a machine that is not allocating ports in bulk.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("find free port: %w", err)
		}
		ls = append(ls, l)
		ta, ok := l.Addr().(*net.TCPAddr)
		if !ok {
			return nil, fmt.Errorf("find free port: unexpected address %v", l.Addr())
		}
		ports = append(ports, ta.Port)
	}
	return ports, nil
}
