package errlog

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

var fixedClock = func() time.Time { return time.Date(2026, 11, 29, 11, 4, 1, 0, time.UTC) }

func newTestLogger(level Level) (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return slog.New(NewHandler(&buf, level, Options{PID: 1234, Now: fixedClock})), &buf
}

type stringer string

func (s stringer) String() string { return string(s) }

func TestLineShapes(t *testing.T) {
	sessionAttrs := []any{
		"conn", uint64(5), "client", "127.0.0.1", "server", "0.0.0.0:12345",
	}
	tests := []struct {
		name  string
		level Level
		msg   string
		with  []any // logger.With
		attrs []any // record attributes
		want  string
	}{
		{
			name: "nginx connect failure", level: LevelError,
			msg:  "connect() failed (111: Connection refused)",
			with: sessionAttrs,
			attrs: []any{
				"action", "connecting to upstream", "upstream", "127.0.0.1:9000",
				"bytes_client", "0/0", "bytes_upstream", "0/0",
			},
			want: `2026/11/29 11:04:01 [error] 1234#1234: *5 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: 0.0.0.0:12345, upstream: "127.0.0.1:9000", bytes from/to client:0/0, bytes from/to upstream:0/0`,
		},
		{
			name: "udp session", level: LevelError, msg: "upstream timed out (110: Connection timed out)",
			attrs: []any{
				"conn", 3, "action", "proxying connection", "udp_client", "127.0.0.1", "server", "127.0.0.1:53",
				"upstream", "127.0.0.1:5353", "bytes_client", "1/0", "bytes_upstream", "0/1",
			},
			want: `2026/11/29 11:04:01 [error] 1234#1234: *3 upstream timed out (110: Connection timed out) while proxying connection, udp client: 127.0.0.1, server: 127.0.0.1:53, upstream: "127.0.0.1:5353", bytes from/to client:1/0, bytes from/to upstream:0/1`,
		},
		{
			name: "no connection", level: LevelNotice, msg: "signal process started",
			want: `2026/11/29 11:04:01 [notice] 1234#1234: signal process started`,
		},
		{
			name: "record attributes only, int conn", level: LevelInfo, msg: "client closed connection",
			attrs: []any{"conn", 42, "client", "::1", "server", "[::]:443"},
			want:  `2026/11/29 11:04:01 [info] 1234#1234: *42 client closed connection, client: ::1, server: [::]:443`,
		},
		{
			name: "record overrides With", level: LevelWarn, msg: "upstream server temporarily disabled",
			with:  sessionAttrs,
			attrs: []any{"client", "10.0.0.9", "action", "SSL handshaking to upstream"},
			want:  `2026/11/29 11:04:01 [warn] 1234#1234: *5 upstream server temporarily disabled while SSL handshaking to upstream, client: 10.0.0.9, server: 0.0.0.0:12345`,
		},
		{
			name: "other attributes after the suffix", level: LevelCrit, msg: "accept() failed",
			with:  []any{"listen", "0.0.0.0:12345"},
			attrs: []any{"conn", uint64(1), "client", "1.2.3.4", "err", errors.New("too many open files"), "tries", 3, "ok", false, "wait", 1500 * time.Millisecond, "name", stringer("x")},
			want:  `2026/11/29 11:04:01 [crit] 1234#1234: *1 accept() failed, client: 1.2.3.4, listen: 0.0.0.0:12345, err: too many open files, tries: 3, ok: false, wait: 1.5s, name: x`,
		},
		{
			name: "negative or non-numeric conn is an ordinary attribute", level: LevelAlert, msg: "m",
			attrs: []any{"conn", -1, "upstream", "backend"},
			want:  `2026/11/29 11:04:01 [alert] 1234#1234: m, upstream: "backend", conn: -1`,
		},
		{
			name: "groups are flattened and never well-known", level: LevelEmerg, msg: "m",
			attrs: []any{slog.Group("tls", "client", "x", "version", "TLSv1.3"), slog.Group("empty")},
			want:  `2026/11/29 11:04:01 [emerg] 1234#1234: m, tls.client: x, tls.version: TLSv1.3`,
		},
		{
			name: "control bytes are escaped", level: LevelError, msg: "bad\nline\x7f",
			attrs: []any{"client", "a\r\nb", "k", "v\x00"},
			want:  `2026/11/29 11:04:01 [error] 1234#1234: bad\x0Aline\x7F, client: a\x0D\x0Ab, k: v\x00`,
		},
		{
			name: "in-between levels take the lower name", level: LevelError + 1, msg: "m",
			want: `2026/11/29 11:04:01 [error] 1234#1234: m`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logger, buf := newTestLogger(LevelDebug)
			if tt.with != nil {
				logger = logger.With(tt.with...)
			}
			logger.Log(context.Background(), tt.level, tt.msg, tt.attrs...)
			if got := buf.String(); got != tt.want+"\n" {
				t.Errorf("got  %q\nwant %q", got, tt.want+"\n")
			}
		})
	}
}

func TestWithGroupQualifiesLaterKeys(t *testing.T) {
	logger, buf := newTestLogger(LevelDebug)
	logger.With("conn", uint64(9)).WithGroup("peer").With("client", "c").Info("m", "addr", "a")
	want := "2026/11/29 11:04:01 [info] 1234#1234: *9 m, peer.client: c, peer.addr: a\n"
	if buf.String() != want {
		t.Errorf("got  %q\nwant %q", buf.String(), want)
	}
}

func TestWithAttrsDoesNotLeakBetweenChildren(t *testing.T) {
	logger, buf := newTestLogger(LevelDebug)
	parent := logger.With("a", 1)
	one := parent.With("b", 2)
	two := parent.With("c", 3)
	one.Info("one")
	two.Info("two")
	want := "2026/11/29 11:04:01 [info] 1234#1234: one, a: 1, b: 2\n" +
		"2026/11/29 11:04:01 [info] 1234#1234: two, a: 1, c: 3\n"
	if buf.String() != want {
		t.Errorf("got  %q\nwant %q", buf.String(), want)
	}
}

func TestRecordTimeWithoutClock(t *testing.T) {
	var buf bytes.Buffer
	h := NewHandler(&buf, LevelInfo, Options{PID: 7})
	r := slog.NewRecord(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), LevelInfo, "m", 0)
	if err := h.Handle(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if want := "2025/01/02 03:04:05 [info] 7#7: m\n"; buf.String() != want {
		t.Errorf("got %q", buf.String())
	}
}

func TestLevelFiltering(t *testing.T) {
	logger, buf := newTestLogger(LevelWarn)
	for _, l := range []Level{LevelDebug, LevelInfo, LevelNotice, LevelWarn, LevelError, LevelCrit, LevelAlert, LevelEmerg} {
		logger.Log(context.Background(), l, LevelName(l))
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		got = append(got, line[strings.LastIndex(line, " ")+1:])
	}
	if want := "warn error crit alert emerg"; strings.Join(got, " ") != want {
		t.Errorf("logged %v, want %s", got, want)
	}
}

func TestParseLevel(t *testing.T) {
	tests := []struct {
		in   string
		want Level
		err  string
	}{
		{"debug", -4, ""}, {"info", 0, ""}, {"notice", 2, ""}, {"warn", 4, ""},
		{"error", 8, ""}, {"crit", 10, ""}, {"alert", 11, ""}, {"emerg", 12, ""},
		{"warning", 0, `invalid log level "warning"`},
		{"ERROR", 0, `invalid log level "ERROR"`},
		{"", 0, `invalid log level ""`},
	}
	for _, tt := range tests {
		got, err := ParseLevel(tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("ParseLevel(%q) error %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if LevelName(got) != tt.in {
			t.Errorf("LevelName(%v) = %q, want %q", got, LevelName(got), tt.in)
		}
	}
	if LevelName(LevelDebug-3) != "debug" || LevelName(LevelEmerg+5) != "emerg" {
		t.Error("levels outside the nginx range are not clamped")
	}
}

func TestMulti(t *testing.T) {
	var infoBuf, errBuf bytes.Buffer
	opts := Options{PID: 1, Now: fixedClock}
	logger := slog.New(Multi(
		NewHandler(&infoBuf, LevelInfo, opts),
		NewHandler(&errBuf, LevelError, opts),
	)).With("conn", uint64(3)).WithGroup("g")
	if logger.Enabled(context.Background(), LevelDebug) {
		t.Error("debug enabled though no target wants it")
	}
	logger.Debug("hidden")
	logger.Info("routine", "k", 1)
	logger.Error("broken")
	wantInfo := "2026/11/29 11:04:01 [info] 1#1: *3 routine, g.k: 1\n" +
		"2026/11/29 11:04:01 [error] 1#1: *3 broken\n"
	wantErr := "2026/11/29 11:04:01 [error] 1#1: *3 broken\n"
	if infoBuf.String() != wantInfo {
		t.Errorf("info target got %q", infoBuf.String())
	}
	if errBuf.String() != wantErr {
		t.Errorf("error target got %q", errBuf.String())
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteErrorsAreReturned(t *testing.T) {
	var ok bytes.Buffer
	h := Multi(NewHandler(failingWriter{}, LevelInfo, Options{}), NewHandler(&ok, LevelInfo, Options{}))
	err := h.Handle(context.Background(), slog.NewRecord(time.Now(), LevelError, "m", 0))
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("got %v", err)
	}
	if ok.Len() == 0 {
		t.Fatal("one failing target stopped the others")
	}
}

func BenchmarkHandle(b *testing.B) {
	var buf bytes.Buffer
	logger := slog.New(NewHandler(&buf, LevelInfo, Options{PID: 1234, Now: fixedClock})).
		With("conn", uint64(5), "client", "127.0.0.1", "server", "0.0.0.0:12345")
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		logger.Error("connect() failed (111: Connection refused)", "action", "connecting to upstream",
			"upstream", "127.0.0.1:9000", "bytes_client", "0/0", "bytes_upstream", "0/0")
	}
}
