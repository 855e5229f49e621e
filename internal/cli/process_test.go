//go:build linux

package cli

import (
	"os"
	"runtime"
	"runtime/metrics"
	"syscall"
	"testing"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/gcpolicy"
)

func TestApplyProcess(t *testing.T) {
	t.Cleanup(gcpolicy.Stop)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var before syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &before); err != nil {
		t.Fatal(err)
	}
	defer syscall.Setrlimit(syscall.RLIMIT_NOFILE, &before)
	want := before.Cur - 1
	t.Setenv("STRAIT_TEST_ENV", "")
	err := applyProcess(config.Main{WorkerProcesses: 1, WorkerRlimitNofile: int(want), Env: []string{"STRAIT_TEST_ENV=yes", "TZ"}})
	if err != nil {
		t.Fatal(err)
	}
	if n := runtime.GOMAXPROCS(0); n != 1 {
		t.Errorf("GOMAXPROCS = %d, want 1", n)
	}
	var now syscall.Rlimit
	syscall.Getrlimit(syscall.RLIMIT_NOFILE, &now)
	if now.Cur != want {
		t.Errorf("RLIMIT_NOFILE = %d, want %d", now.Cur, want)
	}
	if v := os.Getenv("STRAIT_TEST_ENV"); v != "yes" {
		t.Errorf("env not set: %q", v)
	}
	if err := applyProcess(config.Main{}); err != nil || runtime.GOMAXPROCS(0) != runtime.NumCPU() {
		t.Errorf("auto: GOMAXPROCS %d, want %d (%v)", runtime.GOMAXPROCS(0), runtime.NumCPU(), err)
	}
}

func gogc() uint64 {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// The serving process starts the GC policy: a small heap gets a percent
// above the default. With GOGC in the environment it is left alone.
func TestApplyProcessStartsGCPolicy(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	t.Cleanup(gcpolicy.Stop)
	for _, name := range []string{"GOGC", "GOMEMLIMIT"} {
		t.Setenv(name, "") // restored at cleanup
		os.Unsetenv(name)
	}
	if err := applyProcess(config.Main{WorkerProcesses: 1}); err != nil {
		t.Fatal(err)
	}
	if p := gogc(); p <= 100 {
		t.Errorf("GOGC in the serving process = %d, want the policy's percent above 100", p)
	}
	gcpolicy.Stop()

	t.Setenv("GOGC", "100")
	if err := applyProcess(config.Main{WorkerProcesses: 1}); err != nil {
		t.Fatal(err)
	}
	if p := gogc(); p != 100 {
		t.Errorf("GOGC with GOGC=100 in the environment = %d, want 100", p)
	}
}
