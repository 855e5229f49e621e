package server

import (
	"context"
	"log/slog"
	"sync"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/errlog"
	"github.com/straitproxy/strait/internal/syslog"
)

// defaultErrorLog is used when no error_log is configured anywhere.
var defaultErrorLog = []config.ErrorLog{{Path: "stderr", Level: "error"}}

// errorLogs is the one builder of a configuration's error log: it opens
// every error_log the configuration names (main, stream and server level)
// in one errlog.Set, and gives each context its logger. The main
// context's logger also carries the process's own messages (see
// Options.ProcessLog), so there is one file per path for everything.
type errorLogs struct {
	set      *errlog.Set // nil when Options.Logger replaces the error log
	fixed    *slog.Logger
	mu       sync.Mutex // guards main for the syslog failure reports
	main     *slog.Logger
	mainHand slog.Handler
}

// openErrorLogs opens every error_log file of cfg before anything is
// logged, so that a bad path fails the start, the reload or strait -t
// whether or not a server block ends up writing there, as in nginx (which
// opens every file a configuration names). On error nothing stays open.
func (srv *Server) openErrorLogs(cfg *config.Config) (*errorLogs, error) {
	if srv.opts.Logger != nil {
		return &errorLogs{fixed: srv.opts.Logger, main: srv.opts.Logger, mainHand: srv.opts.Logger.Handler()}, nil
	}
	el := &errorLogs{}
	el.set = errlog.NewSet(errlog.SetOptions{
		PID: srv.opts.PID, Now: srv.opts.Now, Stderr: srv.opts.Stderr,
		Hostname: srv.opts.Hostname,
		// Failed sends to a syslog error_log are reported, spaced, through
		// the main error log, which may be that syslog target itself:
		// the report is then one more counted failure, not a loop.
		OnSyslogError: func(err error) {
			if l := el.mainLogger(); l != nil {
				l.Log(context.Background(), errlog.LevelAlert, err.Error())
			}
		},
	})
	all := [][]config.ErrorLog{cfg.Main.ErrorLogs}
	if st := cfg.Stream; st != nil {
		all = append(all, st.ErrorLogs)
		for _, sc := range st.Servers {
			all = append(all, sc.ErrorLogs)
		}
	}
	for _, targets := range all {
		ts, err := errlogTargets(targets)
		if err == nil {
			err = el.set.Open(ts)
		}
		if err != nil {
			el.release()
			return nil, err
		}
	}
	main, err := el.logger(cfg.Main.ErrorLogs)
	if err != nil {
		el.release()
		return nil, err
	}
	el.mu.Lock()
	el.main, el.mainHand = main, main.Handler()
	el.mu.Unlock()
	return el, nil
}

// mainLogger is the main error log once it is built.
func (el *errorLogs) mainLogger() *slog.Logger {
	el.mu.Lock()
	defer el.mu.Unlock()
	return el.main
}

// logger returns the logger for a context's targets (nil or empty: the
// default error log).
func (el *errorLogs) logger(targets []config.ErrorLog) (*slog.Logger, error) {
	if el.fixed != nil {
		return el.fixed, nil
	}
	if len(targets) == 0 {
		targets = defaultErrorLog
	}
	ts, err := errlogTargets(targets)
	if err != nil {
		return nil, err
	}
	return el.set.Logger(ts)
}

func errlogTargets(targets []config.ErrorLog) ([]errlog.Target, error) {
	out := make([]errlog.Target, 0, len(targets))
	for _, t := range targets {
		level, err := errlog.ParseLevel(t.Level)
		if err != nil {
			return nil, err
		}
		out = append(out, errlog.Target{Path: t.Path, Level: level, Syslog: syslogOptions(t.Syslog)})
	}
	return out, nil
}

// publish points the process logger, if any, at this configuration's
// main error log, holding its files open until the next publish.
func (el *errorLogs) publish(sw *errlog.Switch) {
	if sw == nil {
		return
	}
	if el.set == nil {
		sw.Replace(el.mainHand, nil)
		return
	}
	set := el.set.Retain()
	sw.Replace(el.mainHand, func() { set.Release() })
}

func (el *errorLogs) reopen() error {
	if el == nil || el.set == nil {
		return nil
	}
	return el.set.Reopen()
}

func (el *errorLogs) release() {
	if el != nil && el.set != nil {
		el.set.Release()
	}
}

// syslogOptions converts a parsed syslog: target; nil stays nil.
func syslogOptions(s *config.Syslog) *syslog.Options {
	if s == nil {
		return nil
	}
	return &syslog.Options{
		Network: s.Network, Addr: s.Addr, Facility: s.Facility, Severity: s.Severity,
		Tag: s.Tag, NoHostname: s.NoHostname,
	}
}
