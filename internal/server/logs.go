package server

import (
	"log/slog"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/errlog"
)

// defaultErrorLog is used when no error_log is configured anywhere.
var defaultErrorLog = []config.ErrorLog{{Path: "stderr", Level: "error"}}

// errorLogFile is one opened error_log path of a snapshot.
type errorLogFile struct {
	file *errlog.File
}

// errorLogSet opens each error_log path of a snapshot once and builds
// loggers for lists of targets.
type errorLogSet struct {
	opts  Options
	files map[string]*errorLogFile
}

// logger returns a logger writing to every target at its level, or
// Options.Logger when the caller supplied one.
func (s *errorLogSet) logger(targets []config.ErrorLog) (*slog.Logger, error) {
	if s.opts.Logger != nil {
		return s.opts.Logger, nil
	}
	if len(targets) == 0 {
		targets = defaultErrorLog
	}
	handlers := make([]slog.Handler, 0, len(targets))
	for _, t := range targets {
		level, err := errlog.ParseLevel(t.Level)
		if err != nil {
			return nil, err
		}
		f, ok := s.files[t.Path]
		if !ok {
			ef, err := errlog.OpenFile(t.Path)
			if err != nil {
				return nil, err
			}
			f = &errorLogFile{file: ef}
			s.files[t.Path] = f
		}
		handlers = append(handlers, errlog.NewHandler(f.file, level, errlog.Options{PID: s.opts.PID, Now: s.opts.Now}))
	}
	if len(handlers) == 1 {
		return slog.New(handlers[0]), nil
	}
	return slog.New(errlog.Multi(handlers...)), nil
}

// opened lists the files opened so far.
func (s *errorLogSet) opened() []*errlog.File {
	out := make([]*errlog.File, 0, len(s.files))
	for _, f := range s.files {
		out = append(out, f.file)
	}
	return out
}
