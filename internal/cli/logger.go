package cli

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/errlog"
)

const (
	levelNotice = errlog.LevelNotice
	levelEmerg  = errlog.LevelEmerg
)

// logs is the main-context error log: every error_log target with its
// level, reopenable on USR1.
type logs struct {
	logger   *slog.Logger
	files    []*errlog.File
	toStderr bool // some target is stderr
}

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

// openLogs opens the main error_log targets.
func openLogs(cfg *config.Config, stderr io.Writer) (*logs, error) {
	targets := cfg.Main.ErrorLogs
	l := &logs{}
	var handlers []slog.Handler
	for _, t := range targets {
		level, err := errlog.ParseLevel(t.Level)
		if err != nil {
			l.close()
			return nil, err
		}
		var w io.Writer = stderr
		if t.Path == "stderr" {
			l.toStderr = true
		} else {
			f, err := errlog.OpenFile(t.Path)
			if err != nil {
				l.close()
				return nil, err
			}
			l.files = append(l.files, f)
			w = f
		}
		handlers = append(handlers, errlog.NewHandler(w, level, errlog.Options{PID: os.Getpid()}))
	}
	l.logger = slog.New(errlog.Multi(handlers...))
	return l, nil
}

func (l *logs) reopen() error {
	var errs []error
	for _, f := range l.files {
		errs = append(errs, f.Reopen())
	}
	return errors.Join(errs...)
}

func (l *logs) close() {
	for _, f := range l.files {
		f.Close()
	}
}
