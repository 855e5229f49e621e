package cli

import (
	"os"
	"path/filepath"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/errlog"
)

const (
	levelNotice = errlog.LevelNotice
	levelEmerg  = errlog.LevelEmerg
)

// defaultErrorLog gives a configuration without a main error_log the -e
// target (nginx's "default error log"), else stderr at level error.
func defaultErrorLog(cfg *config.Config, eflag string) {
	if len(cfg.Main.ErrorLogs) > 0 {
		return
	}
	path := "stderr"
	if eflag != "" && eflag != "stderr" {
		path = eflag
		if !filepath.IsAbs(path) && cfg.Prefix != "" {
			path = filepath.Join(cfg.Prefix, path)
		}
	}
	cfg.Main.ErrorLogs = []config.ErrorLog{{Path: path, Level: "error"}}
}

// newProcessLog returns the switch that carries the process's own
// messages (signals, reloads, exit). The server points it at the main
// error_log of each configuration it runs, so those messages share the
// sessions' files and follow error_log across reloads; before that, and
// when the start fails, they go to stderr.
func newProcessLog(env Env) *errlog.Switch {
	return errlog.NewSwitch(errlog.NewHandler(env.Stderr, errlog.LevelError, errlog.Options{PID: os.Getpid()}))
}

// mainLogsToStderr reports whether the main error log includes stderr, so
// that a daemon keeps its standard error.
func mainLogsToStderr(cfg *config.Config) bool {
	for _, t := range cfg.Main.ErrorLogs {
		if t.Path == "stderr" {
			return true
		}
	}
	return false
}
