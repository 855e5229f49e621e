package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strconv"

	"github.com/straitproxy/strait/internal/errlog"
	"github.com/straitproxy/strait/internal/metrics"
	"github.com/straitproxy/strait/internal/sdnotify"
	"github.com/straitproxy/strait/internal/server"
)

// upgradeState is what the signal loop knows about binary upgrades: the
// new binary this process started, whether WINCH stopped it accepting,
// and, in a new binary, the pid of the old one.
type upgradeState struct {
	srv      *server.Server
	endpoint *metrics.Endpoint
	log      *slog.Logger
	sd       *sdnotify.Notifier
	pidFile  string // as configured at start; "" when off
	pidPath  string // where this process's pid is now: pidFile or its .oldbin
	oldPID   int    // > 0 in the new binary of an upgrade
	up       *upgrade
	paused   bool
}

func (s *upgradeState) notice(msg string) {
	s.log.Log(context.Background(), levelNotice, msg)
}

// changeBinary handles USR2.
func (s *upgradeState) changeBinary(statusListen string) {
	if upgradeIgnored(s.up, s.oldPID) {
		s.notice("signal 12 (SIGUSR2) received, ignoring")
		return
	}
	s.notice("signal 12 (SIGUSR2) received, changing binary")
	up, err := startUpgrade(s.srv, s.endpoint, statusListen, s.pidFile, s.log)
	if err != nil {
		s.log.Log(context.Background(), errlog.LevelAlert, err.Error())
		return
	}
	s.up = up
	if s.pidFile != "" {
		s.pidPath = oldbin(s.pidFile)
	}
}

// stopAccepting handles WINCH. Like nginx, which acts on it only when
// daemonized, strait ignores it unless it is a daemon or a new binary
// runs: in a terminal, WINCH only means the window changed size.
func (s *upgradeState) stopAccepting(daemon bool) {
	if s.up == nil && !daemon {
		s.notice("signal 28 (SIGWINCH) received, ignoring")
		return
	}
	s.notice("signal 28 (SIGWINCH) received, stop accepting connections")
	s.srv.PauseAccepting()
	s.paused = true
}

// resume handles HUP after WINCH: as nginx's old master starts its
// workers again without reading the configuration, strait accepts again
// and does not reload. It reports whether it did.
func (s *upgradeState) resume() bool {
	if !s.paused {
		return false
	}
	s.notice("signal 1 (SIGHUP) received, accepting connections again")
	s.srv.ResumeAccepting()
	s.paused = false
	return true
}

// newBinaryReady hands systemd's main pid over to the new binary.
func (s *upgradeState) newBinaryReady() {
	s.up.isReady = true
	s.notice(fmt.Sprintf("new binary process %d is ready", s.up.pid))
	notifyErr(s.log, s.sd.Notify("MAINPID="+strconv.Itoa(s.up.pid), "STATUS=serving; a new binary took over"))
}

// newBinaryExited takes the pid file back and accepts again.
func (s *upgradeState) newBinaryExited(err error) {
	s.up.finished(err, s.log)
	if s.up.isReady {
		notifyErr(s.log, s.sd.Notify("MAINPID="+strconv.Itoa(os.Getpid()), "STATUS=serving"))
	}
	s.up = nil
	s.pidPath = s.pidFile
	if s.paused {
		s.notice("accepting connections again")
		s.srv.ResumeAccepting()
		s.paused = false
	}
}

// takeStatusListener removes from in the inherited socket bound to the
// status_listen address addr, nil when there is none.
func (in *inherited) takeStatusListener(addr string) net.Listener {
	want, err := netip.ParseAddrPort(addr)
	if err != nil || want.Port() == 0 {
		return nil
	}
	for i, ln := range in.listeners {
		a, ok := ln.Addr().(*net.TCPAddr)
		if ok && a.AddrPort().Addr().Unmap() == want.Addr().Unmap() && a.AddrPort().Port() == want.Port() {
			in.listeners = append(in.listeners[:i], in.listeners[i+1:]...)
			return ln
		}
	}
	return nil
}
