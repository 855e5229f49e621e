package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/metrics"
	"github.com/straitproxy/strait/internal/sdnotify"
	"github.com/straitproxy/strait/internal/server"
)

// run starts strait in the foreground (daemon off, or as the detached
// child of daemon on) and serves until a stop signal.
func run(f *flags, opts config.LoadOptions, env Env) int {
	start := time.Now()
	oldPID := takeUpgradeEnv() // > 0 in the new binary of an upgrade
	link := &readyLink{w: env.Stderr, pipe: readyPipe(oldPID > 0), tee: oldPID > 0}
	env.Stderr = link
	inh := readInherited()
	defer inh.close() // those the server did not take
	// Before the error log opens, as nginx reports them on stderr.
	for _, p := range inh.problems {
		fmt.Fprintf(env.Stderr, "strait: %s\n", p)
	}
	cfg, err := loadChecked(opts, time.Time{})
	if err != nil {
		fmt.Fprintf(env.Stderr, "strait: [emerg] %v\n", err)
		return 1
	}
	// The new binary of an upgrade does not detach again, as nginx's
	// does not when it inherits its sockets.
	if cfg.Main.Daemon && !isDaemonChild() && oldPID == 0 {
		return daemonize(env, inh)
	}
	if err := applyProcess(cfg.Main); err != nil {
		fmt.Fprintf(env.Stderr, "strait: [emerg] %v\n", err)
		return 1
	}
	defaultErrorLog(cfg, f.errorLog)
	procLog := newProcessLog(env)
	defer procLog.Close() // after the last message
	log := slog.New(procLog)
	statusLn := inh.takeStatusListener(cfg.Main.StatusListen)
	// nginx lower-cases the host name for $hostname and syslog headers.
	hostname, _ := os.Hostname()
	hostname = strings.ToLower(hostname)
	// The server opens the error_log targets of every level, once per
	// path, and points procLog at the main ones.
	lns, pcs := inh.take()
	srv, err := server.New(cfg, server.Options{Hostname: hostname, PID: os.Getpid(), Version: Version, ProcessLog: procLog, Stderr: env.Stderr,
		Inherited: lns, InheritedPackets: pcs})
	if err != nil {
		fmt.Fprintf(env.Stderr, "strait: [emerg] %v\n", err)
		return 1
	}
	if len(inh.sources) > 0 {
		log.Log(context.Background(), levelNotice, "using inherited sockets from "+strings.Join(inh.sources, ", "))
	}
	for _, w := range warnings(cfg) {
		log.Warn(w)
	}
	if err := writePIDFile(cfg.Main.PIDFile); err != nil {
		srv.Close()
		fmt.Fprintf(env.Stderr, "strait: [emerg] %v\n", err)
		return 1
	}
	ug := &upgradeState{srv: srv, log: log, sd: sdnotify.FromEnv(), pidFile: cfg.Main.PIDFile, pidPath: cfg.Main.PIDFile, oldPID: oldPID}
	defer func() { removePIDFile(ug.pidPath) }() // PIDFILE.oldbin after USR2

	status := metrics.NewService(metrics.Options{
		Version: Version, ConfigFile: opts.File, Start: start, Source: srv.MetricsSnapshot, Logger: log,
	})
	endpoint := metrics.NewEndpoint(status, log)
	ug.endpoint = endpoint
	listenStatus := func() error { return endpoint.Listen(cfg.Main.StatusListen) }
	if statusLn != nil {
		listenStatus = func() error { return endpoint.Adopt(cfg.Main.StatusListen, statusLn) }
	}
	if err := listenStatus(); err != nil {
		srv.Close()
		fmt.Fprintf(env.Stderr, "strait: [emerg] %v\n", err)
		log.Log(context.Background(), levelEmerg, err.Error())
		return 1
	}
	defer endpoint.Close()
	logStatusAddr(endpoint, nil, log)

	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1,
		syscall.SIGUSR2, syscall.SIGWINCH)
	defer signal.Stop(sigs)
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	link.ready(!mainLogsToStderr(cfg) && (isDaemonChild() || (oldPID > 0 && cfg.Main.Daemon)))
	// systemd (Type=notify) learns that strait serves only now, with every
	// listener bound and the pid file written, so units ordered after it
	// and `strait -s` from ExecReload find it ready. The new binary of an
	// upgrade is not the main process yet: the old one hands it over.
	sd := ug.sd
	if oldPID == 0 {
		notifyErr(log, sd.Notify("READY=1", "STATUS=serving"))
	}
	log.Log(context.Background(), levelNotice, fmt.Sprintf("strait/%s started", Version))

	current := cfg
	for {
		select {
		case err := <-served:
			if err != nil {
				log.Error(err.Error())
				return 1
			}
			return 0
		case <-ug.up.readyC():
			ug.newBinaryReady()
		case err := <-ug.up.exitC():
			ug.newBinaryExited(err)
		case sig := <-sigs:
			switch sig {
			case syscall.SIGUSR2:
				ug.changeBinary(current.Main.StatusListen)
			case syscall.SIGWINCH:
				ug.stopAccepting(current.Main.Daemon)
			case syscall.SIGHUP:
				if ug.resume() {
					break
				}
				log.Log(context.Background(), levelNotice, "signal 1 (SIGHUP) received, reconfiguring")
				// `systemctl reload` waits between RELOADING=1 and READY=1,
				// so it returns once the new configuration runs or failed.
				notifyErr(log, sd.Reloading())
				state := "STATUS=serving; the last reload failed, still running the previous configuration"
				if next := reload(srv, endpoint, status.Reloads(), opts, f.errorLog, log); next != nil {
					current = next
					state = "STATUS=serving"
				}
				notifyErr(log, sd.Notify("READY=1", state))
			case syscall.SIGUSR1:
				log.Log(context.Background(), levelNotice, "signal 10 (SIGUSR1) received, reopening logs")
				// This reopens the process log's files too: they are the
				// running configuration's.
				if err := srv.ReopenLogs(); err != nil {
					log.Error(err.Error())
				}
			case syscall.SIGQUIT:
				log.Log(context.Background(), levelNotice, "signal 3 (SIGQUIT) received, shutting down gracefully")
				notifyErr(log, sd.Stopping())
				shutdown(srv, current.Main.WorkerShutdownTimeout)
				<-served
				log.Log(context.Background(), levelNotice, "exit")
				return 0
			default:
				log.Log(context.Background(), levelNotice, fmt.Sprintf("signal %d (%s) received, exiting", sig.(syscall.Signal), signalName(sig)))
				notifyErr(log, sd.Stopping())
				srv.Close()
				<-served
				log.Log(context.Background(), levelNotice, "exit")
				return 0
			}
		}
	}
}

// reload re-reads the whole configuration and hands it to the server. Any
// error keeps the running configuration; it is logged, never fatal. The
// server moves log to the new main error_log as the new configuration
// takes over, so "configuration reloaded" and everything after it go to
// the new files, while the failure of a reload goes to the old ones. A new
// status_listen address is bound first, so that failing to bind it fails
// the reload like a listen socket would, with the old endpoint kept.
func reload(srv *server.Server, endpoint *metrics.Endpoint, reloads *metrics.ReloadLog, opts config.LoadOptions, eflag string, log *slog.Logger) *config.Config {
	next, err := loadChecked(opts, time.Time{})
	var rebind *metrics.Rebind
	if err == nil {
		defaultErrorLog(next, eflag)
		rebind, err = endpoint.Prepare(next.Main.StatusListen)
	}
	if err == nil {
		if err = srv.Reload(next); err != nil {
			rebind.Abort()
		} else {
			before := endpoint.Addr()
			rebind.Commit()
			logStatusAddr(endpoint, before, log)
		}
	}
	reloads.Record(time.Now(), err)
	if err != nil {
		log.Log(context.Background(), levelEmerg, err.Error())
		log.Error("reload failed, still running the previous configuration")
		return nil
	}
	for _, w := range warnings(next) {
		log.Warn(w)
	}
	if err := applyProcess(next.Main); err != nil {
		log.Error(err.Error())
	}
	log.Log(context.Background(), levelNotice, "configuration reloaded")
	return next
}

// logStatusAddr says where the status endpoint listens when that changed:
// with port 0 in status_listen the system picks the port, and this line
// is how an operator (or a test) learns it.
func logStatusAddr(endpoint *metrics.Endpoint, before net.Addr, log *slog.Logger) {
	now := endpoint.Addr()
	if now == nil || (before != nil && before.String() == now.String()) {
		return
	}
	log.Log(context.Background(), levelNotice, "status_listen on "+now.String())
}

// shutdown drains sessions; worker_shutdown_timeout (0: none) bounds it.
func shutdown(srv *server.Server, limit time.Duration) {
	ctx := context.Background()
	if limit > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, limit)
		defer cancel()
	}
	srv.Shutdown(ctx)
}

// notifyErr logs a failed notification: the service manager may then
// time the start or reload out, and the error log should say why.
func notifyErr(log *slog.Logger, err error) {
	if err != nil {
		log.Warn(err.Error())
	}
}

func signalName(s os.Signal) string {
	switch s {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGINT:
		return "SIGINT"
	}
	return s.String()
}
