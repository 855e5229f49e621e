package config

import (
	"path"
	"strings"

	"github.com/straitproxy/strait/internal/ngxconf"
)

const (
	modCore   = "ngx_core_module"
	modEvents = "ngx_events_module"
)

// mainDirectives is the main (top-level) context.
func mainDirectives() []Directive {
	return []Directive{
		{Name: "worker_processes", Contexts: CtxMain, Args: Arg1, Syntax: "number | auto", Default: "auto",
			Module: modCore, Doc: "strait runs one multi-threaded process: the number (auto: all CPUs) of threads running at once (GOMAXPROCS).",
			Set: setWorkerProcesses},
		{Name: "worker_rlimit_nofile", Contexts: CtxMain, Args: Arg1, Syntax: "number",
			Module: modCore, Doc: "Raises the open-files limit (RLIMIT_NOFILE) of the strait process at start.",
			Set: mainNum(func(m *Main) *int { return &m.WorkerRlimitNofile })},
		{Name: "pid", Contexts: CtxMain, Args: Arg1, Syntax: "file | off", Default: "strait.pid",
			Module: modCore, Doc: "File that stores the process ID, relative to the prefix.",
			Set: setPID},
		{Name: "error_log", Contexts: CtxMain, Args: Arg1More, Syntax: "file | stderr [level]", Default: "stderr error",
			Module: modCore, Doc: "Where and from which level errors are logged.", multi: true,
			Set: setErrorLog},
		{Name: "daemon", Contexts: CtxMain, Args: ArgFlag, Syntax: "on | off", Default: "on",
			Module: modCore, Doc: "Detach from the terminal and run in the background.",
			Set: mainFlag(func(m *Main) *bool { return &m.Daemon })},
		{Name: "user", Contexts: CtxMain, Args: Arg12, Syntax: "user [group]",
			Status: Ignored, Module: modCore, Doc: "Credentials of nginx's workers; strait is one process and does not switch users, so run it as the intended user (with CAP_NET_BIND_SERVICE for low ports).",
			Set: setUser},
		{Name: "events", Contexts: CtxMain, Args: ArgBlock | ArgNone, Syntax: "{ ... }",
			Module: modEvents, Doc: "Connection processing settings; required, as in nginx, even when empty.",
			Set: setEvents},
		{Name: "stream", Contexts: CtxMain, Args: ArgBlock | ArgNone, Syntax: "{ ... }",
			Module: "ngx_stream_core_module", Doc: "The TCP proxy configuration.",
			Set: setStream},
		{Name: "load_module", Contexts: CtxMain, Args: Arg1, Syntax: "file",
			Module: modCore, Doc: "Accepted for the stream module (ngx_stream_module.so) only, which strait has built in.",
			multi: true, Set: setLoadModule},
		{Name: "include", Contexts: CtxAny, Args: Arg1, Syntax: "file | mask",
			Module: modCore, Doc: "Includes files matching a glob, in sorted order, relative to the main file's directory.",
			multi: true},
		{Name: "env", Contexts: CtxMain, Args: Arg1, Syntax: "variable[=value]", Module: modCore,
			Doc: "NAME=VALUE sets an environment variable at start; NAME alone keeps it (strait never clears its environment).", multi: true, Set: setEnv},
		{Name: "worker_shutdown_timeout", Contexts: CtxMain, Args: Arg1, Syntax: "time", Module: modCore,
			Doc: "How long a graceful stop or reload waits for open sessions before closing them.",
			Set: func(s *scope, d *ngxconf.Directive) error {
				v, err := msecArg(d)
				s.l.cfg.Main.WorkerShutdownTimeout = v
				return err
			}},
		{Name: "master_process", Contexts: CtxMain, Args: ArgFlag, Syntax: "on | off", Default: "on",
			Status: Ignored, Module: modCore, Doc: "nginx's master/worker split; strait is one process.", Set: checkFlag},
		ignored("thread_pool", CtxMain, Arg23, "name threads=number [max_queue=number]", "default threads=32 max_queue=65536",
			modCore, "Thread pools for blocking file I/O; Go schedules this itself."),
		{Name: "pcre_jit", Contexts: CtxMain, Args: ArgFlag, Syntax: "on | off", Default: "off",
			Status: Ignored, Module: modCore, Doc: "PCRE JIT; strait uses Go's regexp.", Set: checkFlag},
		ignored("ssl_engine", CtxMain, Arg1, "device", "", modCore, "OpenSSL engine; strait uses Go's TLS."),
		ignored("lock_file", CtxMain, Arg1, "file", "", modCore, "Lock file of nginx's accept mutex."),
		ignored("working_directory", CtxMain, Arg1, "directory", "", modCore, "Working directory for core dumps."),
		{Name: "timer_resolution", Contexts: CtxMain, Args: Arg1, Syntax: "interval", Status: Ignored,
			Module: modCore, Doc: "Timer resolution of nginx's event loop.", Set: checkMsec},
		ignored("worker_cpu_affinity", CtxMain, Arg1More, "cpumask ... | auto [cpumask]", "", modCore, "Binds workers to CPUs."),
		ignored("worker_priority", CtxMain, Arg1, "number", "0", modCore, "Scheduling priority of workers."),
		ignored("worker_rlimit_core", CtxMain, Arg1, "size", "", modCore, "Core file size limit."),
		notYet("debug_points", CtxMain, Arg1, "abort | stop", "", modCore, "What to do on internal errors."),
		notYet("google_perftools_profiles", CtxMain, Arg1, "file", "", "ngx_google_perftools_module", "CPU profiling of workers."),
		notYet("ssl_object_cache_inheritable", CtxMain, ArgFlag, "on | off", "on", modCore, "Keeps SSL objects across reloads."),
		notYet("quic_bpf", CtxMain, ArgFlag, "on | off", "off", modCore, "QUIC routing with eBPF."),
		statusListenDirective(),
		refused("http", CtxMain, ArgBlock|ArgNone, "{ ... }", "ngx_http_core_module", "strait proxies TCP streams only"),
		refused("mail", CtxMain, ArgBlock|ArgNone, "{ ... }", "ngx_mail_core_module", "strait proxies TCP streams only"),
	}
}

// eventsDirectives is the events {} context.
func eventsDirectives() []Directive {
	return []Directive{
		{Name: "worker_connections", Contexts: CtxEvents, Args: Arg1, Syntax: "number", Default: "512",
			Module: modEvents, Doc: "Maximum number of simultaneous connections, counting listening sockets, clients and upstreams, as in nginx: a proxied session takes two. A session is counted before its client is accepted, so at the limit, and when open files (RLIMIT_NOFILE) run short, new clients wait in the listen backlog while accepted sessions can always connect upstream.",
			Set: mainNum(func(m *Main) *int { return &m.WorkerConnections })},
		{Name: "use", Contexts: CtxEvents, Args: Arg1, Syntax: "method", Status: Ignored,
			Module: modEvents, Doc: "Connection processing method; Go uses epoll/kqueue itself.",
			Set: func(_ *scope, d *ngxconf.Directive) error {
				// The event modules nginx has on Linux, matched
				// case-sensitively as ngx_event_use does.
				switch d.Args[0].Value {
				case "epoll", "poll", "select":
					return nil
				}
				return errorf(d, "invalid event type %q", d.Args[0].Value)
			}},
		{Name: "multi_accept", Contexts: CtxEvents, Args: ArgFlag, Syntax: "on | off", Default: "off",
			Status: Ignored, Module: modEvents, Doc: "Accept all pending connections at once.", Set: checkFlag},
		{Name: "accept_mutex", Contexts: CtxEvents, Args: ArgFlag, Syntax: "on | off", Default: "off",
			Status: Ignored, Module: modEvents, Doc: "Serialises accept() between nginx workers.", Set: checkFlag},
		{Name: "accept_mutex_delay", Contexts: CtxEvents, Args: Arg1, Syntax: "time", Default: "500ms",
			Status: Ignored, Module: modEvents, Doc: "Retry delay of the accept mutex.", Set: checkMsec},
		{Name: "debug_connection", Contexts: CtxEvents, Args: Arg1, Syntax: "address | CIDR | unix:",
			Status: Ignored, Module: modEvents, Doc: "Debug logging for selected clients.", multi: true},
		ignored("worker_aio_requests", CtxEvents, Arg1, "number", "32", modEvents, "Outstanding AIO operations per worker."),
	}
}

// refused is a directive strait will not support, with the reason.
func refused(name string, ctx ContextMask, args ArgSpec, syntax, module, reason string) Directive {
	return Directive{
		Name: name, Contexts: ctx, Args: args, Syntax: syntax, Status: Refused, Module: module,
		Doc: "Refused: " + reason + ".",
		Set: func(_ *scope, d *ngxconf.Directive) error {
			return errorf(d, "%q directive is not supported: %s", d.Name, reason)
		},
	}
}

func mainNum(field func(*Main) *int) func(*scope, *ngxconf.Directive) error {
	return func(s *scope, d *ngxconf.Directive) error {
		v, err := numArg(d)
		*field(&s.l.cfg.Main) = v
		return err
	}
}

func mainFlag(field func(*Main) *bool) func(*scope, *ngxconf.Directive) error {
	return func(s *scope, d *ngxconf.Directive) error {
		v, err := flagArg(d)
		*field(&s.l.cfg.Main) = v
		return err
	}
}

func checkFlag(_ *scope, d *ngxconf.Directive) error { _, err := flagArg(d); return err }
func checkMsec(_ *scope, d *ngxconf.Directive) error { _, err := msecArg(d); return err }

func setWorkerProcesses(s *scope, d *ngxconf.Directive) error {
	v := d.Args[0].Value
	if v == "auto" {
		s.l.cfg.Main.WorkerProcesses = 0
		return nil
	}
	n, err := parseNumber(v)
	if err != nil {
		return errorf(d, "%q directive invalid value", d.Name)
	}
	s.l.cfg.Main.WorkerProcesses = n
	return nil
}

func setPID(s *scope, d *ngxconf.Directive) error {
	v := d.Args[0].Value
	if v == "off" {
		s.l.cfg.Main.PIDFile = ""
		return nil
	}
	s.l.cfg.Main.PIDFile = s.l.prefixPath(v)
	return nil
}

func setUser(s *scope, d *ngxconf.Directive) error {
	s.l.cfg.Main.User = d.Args[0].Value
	if len(d.Args) == 2 {
		s.l.cfg.Main.Group = d.Args[1].Value
	}
	return nil
}

func setEvents(s *scope, d *ngxconf.Directive) error {
	s.l.events = newLevel(nil)
	return s.l.walk(&scope{l: s.l, ctx: CtxEvents, lvl: s.l.events}, d.Block)
}

func setEnv(s *scope, d *ngxconf.Directive) error {
	s.l.cfg.Main.Env = append(s.l.cfg.Main.Env, d.Args[0].Value)
	return nil
}

// setLoadModule accepts the stream module, which strait has built in, so
// that Debian-style configurations load unchanged.
func setLoadModule(s *scope, d *ngxconf.Directive) error {
	if s.l.events != nil || s.l.stream != nil {
		// nginx loads modules before it counts them, which the events
		// and stream blocks do (ngx_load_module: cycle->modules_used).
		return errorf(d, "%q directive is specified too late", d.Name)
	}
	v := d.Args[0].Value
	if path.Base(v) == "ngx_stream_module.so" {
		return nil
	}
	return errorf(d, "module %q is not supported: strait has the stream module built in and supports no other modules",
		strings.TrimSuffix(path.Base(v), ".so"))
}
