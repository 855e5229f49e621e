package cli

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"syscall"

	"github.com/straitproxy/strait/internal/config"
)

// applyProcess applies the main-context settings that concern the whole
// process: worker_processes (how many threads run Go code at once; strait
// is one process), worker_rlimit_nofile and env.
func applyProcess(m config.Main) error {
	n := m.WorkerProcesses
	if n <= 0 {
		n = runtime.NumCPU()
	}
	runtime.GOMAXPROCS(n)
	if m.WorkerRlimitNofile > 0 {
		lim := syscall.Rlimit{Cur: uint64(m.WorkerRlimitNofile), Max: uint64(m.WorkerRlimitNofile)}
		var cur syscall.Rlimit
		if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &cur); err == nil && cur.Max > lim.Max {
			lim.Max = cur.Max // only the soft limit needs to move
		}
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			return fmt.Errorf("setrlimit(RLIMIT_NOFILE, %d) failed (%v)", m.WorkerRlimitNofile, err)
		}
	}
	for _, e := range m.Env {
		if name, value, ok := strings.Cut(e, "="); ok {
			if err := os.Setenv(name, value); err != nil {
				return fmt.Errorf("env %q: %v", e, err)
			}
		}
	}
	return nil
}
