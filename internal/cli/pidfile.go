package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/ngxconf"
)

func writePIDFile(path string) error {
	if path == "" {
		return nil
	}
	if err := os.WriteFile(path, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return &ngxconf.OpenError{Path: path, Err: err}
	}
	return nil
}

// checkPIDFile reports, in nginx's words, why writing the pid file would
// fail, without writing it. nginx -t opens the file, creating it if
// missing, and writes nothing, which leaves an empty pid file that a later
// -s cannot use; strait opens an existing file without truncating it and,
// for a missing one, asks whether its directory allows creating it.
func checkPIDFile(path string) error {
	if path == "" {
		return nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err == nil {
		return f.Close()
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return &ngxconf.OpenError{Path: path, Err: err}
	}
	// ENOENT also when the directory is missing; access says which, with
	// the errno open(O_CREAT) would give (ENOENT, ENOTDIR, EACCES, EROFS).
	const wx = 0o2 | 0o1 // W_OK | X_OK
	if err := syscall.Access(filepath.Dir(path), wx); err != nil {
		return &ngxconf.OpenError{Path: path, Err: err}
	}
	return nil
}

// removePIDFile removes the pid file if it still names this process (a
// newer instance may have replaced it).
func removePIDFile(path string) {
	if path == "" {
		return
	}
	if b, err := os.ReadFile(path); err == nil && strings.TrimSpace(string(b)) == strconv.Itoa(os.Getpid()) {
		os.Remove(path)
	}
}

var signals = map[string]syscall.Signal{
	"stop":   syscall.SIGTERM,
	"quit":   syscall.SIGQUIT,
	"reopen": syscall.SIGUSR1,
	"reload": syscall.SIGHUP,
}

// sendSignal implements -s: it reads the configuration only to find the pid
// file, as nginx does, and signals the process named there.
func sendSignal(name string, opts config.LoadOptions, env Env) int {
	cfg, err := config.Load(opts)
	if err != nil {
		fmt.Fprintf(env.Stderr, "strait: [emerg] %v\n", err)
		return 1
	}
	path := cfg.Main.PIDFile
	if path == "" {
		fmt.Fprintln(env.Stderr, "strait: [error] no pid file is configured (\"pid off\")")
		return 1
	}
	b, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(env.Stderr, "strait: [error] open() %q failed (%s)\n", path, ngxconf.OSReason(err))
		return 1
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		fmt.Fprintf(env.Stderr, "strait: [error] invalid PID number %q in %q\n", strings.TrimSpace(string(b)), path)
		return 1
	}
	sig := signals[name]
	if err := syscall.Kill(pid, sig); err != nil {
		fmt.Fprintf(env.Stderr, "strait: [alert] kill(%d, %d) failed (%s)\n", pid, int(sig), ngxconf.OSReason(err))
		return 1
	}
	return 0
}
