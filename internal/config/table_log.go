package config

import (
	"strings"

	"github.com/straitproxy/strait/internal/ngxconf"
)

const modLog = "ngx_stream_log_module"

// logDirectives is ngx_stream_log_module.
func logDirectives() []Directive {
	return []Directive{
		{Name: "log_format", Contexts: CtxStream, Args: Arg2More, Syntax: "name [escape=default|json|none] string ...",
			Module: modLog, Doc: "Names an access log format; the strings are concatenated.", multi: true,
			Set: setLogFormat},
		{Name: "access_log", Contexts: streamSrv, Args: Arg1More,
			Syntax:  "path format [buffer=size] [flush=time] [if=condition] | off",
			Default: "off", Module: modLog, Doc: "Writes one line per session; a level with its own access_log replaces the outer ones.",
			multi: true, Set: setAccessLog,
			inherit: func(c, p *Server) { c.AccessLogs = p.AccessLogs }},
		notYet("open_log_file_cache", streamSrv, Arg1234, "max=N [inactive=time] [min_uses=N] [valid=time] | off", "off", modLog,
			"Cache of log file descriptors for paths with variables."),
	}
}

var logEscapes = []string{"default", "json", "none"}

func setLogFormat(s *scope, d *ngxconf.Directive) error {
	name := d.Args[0].Value
	formats := s.l.cfg.Stream.LogFormats
	if _, dup := formats[name]; dup {
		return errorf(d, "duplicate \"log_format\" name %q", name)
	}
	lf := &LogFormat{Name: name, Escape: "default", Pos: stmtPos(d)}
	args := d.Args[1:]
	if esc, ok := strings.CutPrefix(args[0].Value, "escape="); ok {
		valid := false
		for _, e := range logEscapes {
			valid = valid || e == esc
		}
		if !valid {
			return errorf(d, "unknown log format escaping %q", esc)
		}
		lf.Escape, args = esc, args[1:]
	}
	var b strings.Builder
	for _, a := range args {
		b.WriteString(a.Value)
	}
	lf.Format = b.String()
	formats[name] = lf
	return nil
}

func setAccessLog(s *scope, d *ngxconf.Directive) error {
	srv := s.lvl.srv
	path := d.Args[0].Value
	if path == "off" {
		if len(d.Args) > 1 {
			return errorf(d, "invalid parameter %q", d.Args[1].Value)
		}
		srv.AccessLogs = nil
		return nil
	}
	if strings.HasPrefix(path, "syslog:") {
		return errorf(d, "\"syslog:\" targets of %q are not supported yet", d.Name)
	}
	if strings.Contains(path, "$") {
		return errorf(d, "variables in %q paths are not supported yet", d.Name)
	}
	if len(d.Args) < 2 {
		return errorf(d, "log format is not specified")
	}
	format := d.Args[1].Value
	if _, ok := s.l.cfg.Stream.LogFormats[format]; !ok {
		return errorf(d, "unknown log format %q", format)
	}
	al := AccessLog{Path: s.l.prefixPath(path), Format: format, Pos: stmtPos(d)}
	for _, a := range d.Args[2:] {
		name, val, _ := strings.Cut(a.Value, "=")
		var err error
		switch name {
		case "buffer":
			if al.Buffer, err = parseSize(val); err != nil {
				return errorf(d, "invalid buffer size %q", val)
			}
		case "flush":
			if al.Flush, err = parseMsec(val); err != nil || al.Flush == 0 {
				return errorf(d, "invalid flush time %q", val)
			}
		case "if":
			al.If = val
		case "gzip":
			return errorf(d, "the \"gzip\" parameter of %q is not supported yet", d.Name)
		default:
			return errorf(d, "invalid parameter %q", a.Value)
		}
	}
	srv.AccessLogs = append(srv.AccessLogs, al)
	return nil
}

var logLevels = []string{"debug", "info", "notice", "warn", "error", "crit", "alert", "emerg"}

// setErrorLog parses `error_log file [level]` for main, stream and server.
func setErrorLog(s *scope, d *ngxconf.Directive) error {
	path := d.Args[0].Value
	if strings.HasPrefix(path, "syslog:") || strings.HasPrefix(path, "memory:") {
		prefix, _, _ := strings.Cut(path, ":")
		return errorf(d, "%q targets of \"error_log\" are not supported yet", prefix+":")
	}
	el := ErrorLog{Path: path, Level: "error", Pos: stmtPos(d)}
	if path != "stderr" {
		el.Path = s.l.prefixPath(path)
	}
	if len(d.Args) > 2 {
		return errorf(d, "invalid log level %q", d.Args[2].Value)
	}
	if len(d.Args) == 2 {
		el.Level = d.Args[1].Value
		valid := false
		for _, l := range logLevels {
			valid = valid || l == el.Level
		}
		if !valid {
			return errorf(d, "invalid log level %q", el.Level)
		}
	}
	switch s.ctx {
	case CtxMain:
		s.l.cfg.Main.ErrorLogs = append(s.l.cfg.Main.ErrorLogs, el)
	case CtxStream:
		s.l.cfg.Stream.ErrorLogs = append(s.l.cfg.Stream.ErrorLogs, el)
		s.lvl.srv.ErrorLogs = append(s.lvl.srv.ErrorLogs, el)
	default:
		s.lvl.srv.ErrorLogs = append(s.lvl.srv.ErrorLogs, el)
	}
	return nil
}
