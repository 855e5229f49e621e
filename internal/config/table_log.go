package config

import (
	"path/filepath"
	"strings"
	"time"

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
			Syntax:  "path format [buffer=size] [gzip[=level]] [flush=time] [if=condition] | syslog:server=address[,parameter=value] format [if=condition] | off",
			Default: "off", Module: modLog, Doc: "Writes one line per session; a level with its own access_log replaces the outer ones.",
			multi: true, Set: setAccessLog,
			inherit: func(c, p *Server) { c.AccessLogs = p.AccessLogs }},
		{Name: "open_log_file_cache", Contexts: streamSrv, Args: Arg1234,
			Syntax: "max=N [inactive=time] [min_uses=N] [valid=time] | off", Default: "off", Module: modLog,
			Doc:     "Caches descriptors of access_log files named with variables; off opens and closes the file for every record.",
			Set:     setOpenLogFileCache,
			inherit: func(c, p *Server) { c.OpenLogFileCache = p.OpenLogFileCache }},
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
	al := AccessLog{Path: path, Pos: stmtPos(d)}
	if strings.HasPrefix(path, "syslog:") {
		var err error
		if al.Syslog, err = s.l.parseSyslog(d, path); err != nil {
			return err
		}
	} else {
		if strings.Contains(path, "$") {
			// nginx counts any "$" as a variable and puts the prefix in
			// front of a relative template as written (ngx_conf_full_name,
			// no cleaning: "$dir/../x" stays so until it is evaluated).
			al.PathHasVariables = true
			al.Path = s.l.prefixTemplate(path)
		} else {
			al.Path = s.l.prefixPath(path)
		}
	}
	if len(d.Args) < 2 {
		return errorf(d, "log format is not specified")
	}
	al.Format = d.Args[1].Value
	if _, ok := s.l.cfg.Stream.LogFormats[al.Format]; !ok {
		return errorf(d, "unknown log format %q", al.Format)
	}
	if err := accessLogParams(d, &al); err != nil {
		return err
	}
	switch {
	case al.Flush > 0 && al.Buffer == 0:
		return errorf(d, "no buffer is defined for access_log %q", path)
	case al.Buffer > 0 && al.PathHasVariables:
		return errorf(d, "buffered logs cannot have variables in name")
	case al.Buffer > 0 && al.Syslog != nil:
		return errorf(d, "logs to syslog cannot be buffered")
	case al.Buffer > 0:
		key := filepath.Clean(al.Path)
		if first, ok := s.l.logBuffers[key]; ok {
			if first.Buffer != al.Buffer || first.Flush != al.Flush || first.Gzip != al.Gzip {
				return errorf(d, "access_log %q already defined with conflicting parameters", path)
			}
		} else {
			if s.l.logBuffers == nil {
				s.l.logBuffers = map[string]AccessLog{}
			}
			s.l.logBuffers[key] = al
		}
	}
	srv.AccessLogs = append(srv.AccessLogs, al)
	return nil
}

// accessLogParams parses buffer=, flush=, gzip[=level] and if= as
// ngx_stream_log_set_log does: gzip without a buffer size means 64k,
// whichever order the two come in.
func accessLogParams(d *ngxconf.Directive, al *AccessLog) error {
	for _, a := range d.Args[2:] {
		name, val, hasVal := strings.Cut(a.Value, "=")
		var err error
		switch {
		case name == "buffer" && hasVal:
			if al.Buffer, err = parseSize(val); err != nil || al.Buffer == 0 {
				return errorf(d, "invalid buffer size %q", val)
			}
		case name == "flush" && hasVal:
			if al.Flush, err = parseMsec(val); err != nil || al.Flush == 0 {
				return errorf(d, "invalid flush time %q", val)
			}
		case name == "gzip":
			if al.Buffer == 0 {
				al.Buffer = 64 << 10
			}
			al.Gzip = 1 // zlib's Z_BEST_SPEED, nginx's default level
			if hasVal {
				if al.Gzip, err = parseNumber(val); err != nil || al.Gzip < 1 || al.Gzip > 9 {
					return errorf(d, "invalid compression level %q", val)
				}
			}
		case name == "if" && hasVal:
			al.If = val
		default:
			return errorf(d, "invalid parameter %q", a.Value)
		}
	}
	return nil
}

// setOpenLogFileCache parses open_log_file_cache as
// ngx_stream_log_open_file_cache does: "off" anywhere wins over the other
// parameters, which are still checked.
func setOpenLogFileCache(s *scope, d *ngxconf.Directive) error {
	c := &LogFileCache{Inactive: 10 * time.Second, MinUses: 1, Valid: 60 * time.Second, Pos: stmtPos(d)}
	max, off := 0, false
	for _, a := range d.Args {
		v := a.Value
		var err error
		switch {
		case strings.HasPrefix(v, "max="):
			max, err = parseNumber(v[len("max="):])
		case strings.HasPrefix(v, "inactive="):
			c.Inactive, err = parseSec(v[len("inactive="):])
		case strings.HasPrefix(v, "min_uses="):
			c.MinUses, err = parseNumber(v[len("min_uses="):])
		case strings.HasPrefix(v, "valid="):
			c.Valid, err = parseSec(v[len("valid="):])
		case v == "off":
			off = true
		default:
			err = errInvalidValue
		}
		if err != nil {
			return errorf(d, "invalid \"open_log_file_cache\" parameter %q", v)
		}
	}
	if off {
		s.lvl.srv.OpenLogFileCache = nil
		return nil
	}
	if max == 0 {
		return errorf(d, "\"open_log_file_cache\" must have \"max\" parameter")
	}
	c.Max = max
	s.lvl.srv.OpenLogFileCache = c
	return nil
}

var logLevels = []string{"debug", "info", "notice", "warn", "error", "crit", "alert", "emerg"}

// setErrorLog parses `error_log file [level]` for main, stream and server.
func setErrorLog(s *scope, d *ngxconf.Directive) error {
	path := d.Args[0].Value
	if strings.HasPrefix(path, "memory:") {
		return errorf(d, "\"memory:\" targets of \"error_log\" are not supported yet")
	}
	el := ErrorLog{Path: path, Level: "error", Pos: stmtPos(d)}
	switch {
	case strings.HasPrefix(path, "syslog:"):
		var err error
		if el.Syslog, err = s.l.parseSyslog(d, path); err != nil {
			return err
		}
	case path != "stderr":
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
