package cli

import (
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/gcpolicy"
)

// applyProcess applies the main-context settings that concern the whole
// process: worker_processes (how many threads run Go code at once; strait
// is one process), worker_rlimit_nofile and env. It also starts the
// garbage-collection policy (see gcpolicy) unless the environment strait
// started with sets GOGC or GOMEMLIMIT; the env directive cannot change
// those, as the runtime reads them at start.
func applyProcess(m config.Main) error {
	n := m.WorkerProcesses
	if n <= 0 {
		n = runtime.NumCPU()
	}
	runtime.GOMAXPROCS(n)
	gcpolicy.Start(gcpolicy.DefaultFloor)
	if m.WorkerRlimitNofile > 0 {
		if err := setNofile(m.WorkerRlimitNofile); err != nil {
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
