package errlog

import (
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/syslog"
)

func TestSyslogTargetSendsTheFileLineBehindAHeader(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	now := time.Date(2026, 11, 9, 7, 5, 3, 0, time.Local)
	set := NewSet(SetOptions{PID: 7, Now: func() time.Time { return now }, Hostname: "vm"})
	defer set.Release()
	log, err := set.Logger([]Target{{
		Path:   "syslog:server=" + pc.LocalAddr().String() + ",facility=user,severity=crit",
		Level:  LevelInfo,
		Syslog: &syslog.Options{Network: "udp", Addr: pc.LocalAddr().String(), Facility: 1, Severity: 2, Tag: "nginx"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	log = log.With("conn", uint64(5), "client", "127.0.0.1", "server", "127.0.0.1:10001")
	log.Error("connect() failed (111: Connection refused)", "action", "connecting to upstream")
	log.Debug("below the level")
	log.Info("client disconnected")

	want := []string{
		// The severity is the record's level (error 3, info 6), not severity=.
		"<11>Nov  9 07:05:03 vm nginx: 2026/11/09 07:05:03 [error] 7#7: *5 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: 127.0.0.1:10001",
		"<14>Nov  9 07:05:03 vm nginx: 2026/11/09 07:05:03 [info] 7#7: *5 client disconnected, client: 127.0.0.1, server: 127.0.0.1:10001",
	}
	buf := make([]byte, 4096)
	for _, w := range want {
		pc.SetReadDeadline(time.Now().Add(10 * time.Second)) // only against a hang
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(buf[:n]); got != w {
			t.Errorf("got  %q\nwant %q", got, w)
		}
	}
}

func TestSyslogSendFailuresGoToOnSyslogError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.sock")
	var reports []string
	set := NewSet(SetOptions{PID: 7, OnSyslogError: func(err error) { reports = append(reports, err.Error()) }})
	defer set.Release()
	log, err := set.Logger([]Target{{Path: "syslog:server=unix:" + path, Level: LevelError,
		Syslog: &syslog.Options{Network: "unixgram", Addr: path, Tag: "nginx"}}})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		log.Log(t.Context(), slog.LevelError, "lost")
	}
	if len(reports) != 1 || !strings.HasPrefix(reports[0], "connect() failed (2: No such file or directory) while logging to syslog, server: unix:") {
		t.Errorf("reports %q, want one connect() failure", reports)
	}
}
