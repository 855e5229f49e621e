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

// openLogs opens the main error_log targets. Without one, the -e target is
// used (nginx's "default error log"), else stderr at level error.
func openLogs(cfg *config.Config, eflag string, stderr io.Writer) (*logs, error) {
	targets := cfg.Main.ErrorLogs
	if len(targets) == 0 {
		path := "stderr"
		if eflag != "" && eflag != "stderr" {
			path = eflag
			if !filepath.IsAbs(path) && cfg.Prefix != "" {
				path = filepath.Join(cfg.Prefix, path)
			}
		}
		targets = []config.ErrorLog{{Path: path, Level: "error"}}
	}
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
