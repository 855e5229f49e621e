//go:build linux

package cli

import (
	"os"
	"runtime"
	"syscall"
	"testing"

	"github.com/straitproxy/strait/internal/config"
)

func TestApplyProcess(t *testing.T) {
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
