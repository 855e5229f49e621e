package syslog

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/straittest"
)

var pinned = time.Date(2026, 11, 9, 7, 5, 3, 0, time.Local)

func clock() time.Time { return pinned }

// listenUDP is a syslog receiver bound by the test itself.
func listenUDP(t *testing.T) net.PacketConn {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc
}

func receive(t *testing.T, pc net.PacketConn) string {
	t.Helper()
	buf := make([]byte, 70000)
	// A deadline only so that a lost datagram fails the test instead of
	// hanging it; it asserts nothing about speed.
	pc.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, _, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	return string(buf[:n])
}

func TestHeaderIsNginxRFC3164(t *testing.T) {
	tests := []struct {
		opts     Options
		severity int
		want     string
	}{
		{Options{Facility: 23, Tag: "nginx", Hostname: "vm"}, 6, "<190>Nov  9 07:05:03 vm nginx: "},
		{Options{Facility: 3, Tag: "abc_1", NoHostname: true}, 5, "<29>Nov  9 07:05:03 abc_1: "},
		{Options{Facility: 0, Tag: "", Hostname: "h"}, 0, "<0>Nov  9 07:05:03 h : "},
	}
	for _, tt := range tests {
		got := string(New(tt.opts).AppendHeader(nil, tt.severity, pinned))
		if got != tt.want {
			t.Errorf("header %q, want %q", got, tt.want)
		}
	}
}

func TestLogSendsOneDatagramPerLineOverUDP(t *testing.T) {
	pc := listenUDP(t)
	p := New(Options{Network: "udp", Addr: pc.LocalAddr().String(), Facility: 23, Severity: 6,
		Tag: "nginx", Hostname: "vm", Now: clock})
	defer p.Close()
	for _, line := range []string{"127.0.0.1 200 x", "second"} {
		if err := p.Log([]byte(line)); err != nil {
			t.Fatal(err)
		}
		if got, want := receive(t, pc), "<190>Nov  9 07:05:03 vm nginx: "+line; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

// TestUnixgramReachesSocat sends to a unix datagram socket served by
// socat, a syslog-style receiver that is not strait's own code.
func TestUnixgramReachesSocat(t *testing.T) {
	socat := straittest.Tool(t, "socat")
	path := filepath.Join(t.TempDir(), "log.sock")
	cmd := exec.Command(socat, "-u", "UNIX-RECV:"+path, "STDOUT")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	// socat binds the path itself (no port to race for); wait until it
	// exists, boundedly.
	for i := 0; ; i++ {
		if _, err := os.Stat(path); err == nil {
			break
		}
		if i == 1000 {
			t.Fatal("socat did not create its socket")
		}
		time.Sleep(10 * time.Millisecond)
	}
	p := New(Options{Network: "unixgram", Addr: path, Facility: 1, Severity: 3, Tag: "strait", NoHostname: true, Now: clock})
	defer p.Close()
	// A newline only so that the receiver's output can be read by line;
	// access log lines carry none.
	if err := p.Log([]byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	if want := "<11>Nov  9 07:05:03 strait: hello\n"; line != want {
		t.Errorf("socat received %q, want %q", line, want)
	}
}

func TestFailedSendsAreReportedOnceThenSummed(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "missing.sock")
	now := pinned
	p := New(Options{Network: "unixgram", Addr: path, Tag: "nginx", Now: func() time.Time { return now }})
	defer p.Close()
	err := p.Log([]byte("x"))
	want := "connect() failed (2: No such file or directory) while logging to syslog, server: unix:" + path
	if err == nil || err.Error() != want {
		t.Fatalf("first failure: %v, want %q", err, want)
	}
	for range 3 {
		if err := p.Log([]byte("x")); err != nil {
			t.Fatalf("failure within the interval reported: %v", err)
		}
	}
	now = now.Add(ReportInterval)
	err = p.Log([]byte("x"))
	if err == nil || !strings.HasPrefix(err.Error(), "4 more sends failed (2: No such file or directory)") {
		t.Fatalf("summary: %v", err)
	}
	if err := p.Log([]byte("x")); err != nil {
		t.Fatalf("failure after a summary reported at once: %v", err)
	}
	// The server comes (back): the next send connects again and sums up
	// what was not reported yet.
	pc, err := net.ListenPacket("unixgram", path)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	err = p.Log([]byte("x"))
	if err == nil || !strings.HasPrefix(err.Error(), "1 more send failed") {
		t.Fatalf("recovery summary: %v", err)
	}
	if err := p.Log([]byte("x")); err != nil {
		t.Fatalf("healthy send: %v", err)
	}
}

// TestFullQueueNeverBlocks fills a unix datagram socket nobody reads: the
// sends must fail (and be counted) instead of waiting.
func TestFullQueueNeverBlocks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "full.sock")
	pc, err := net.ListenPacket("unixgram", path)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	p := New(Options{Network: "unixgram", Addr: path, Tag: "nginx", Now: clock})
	defer p.Close()
	line := []byte(strings.Repeat("x", 1000))
	for i := range 100000 {
		if err := p.Log(line); err != nil {
			if !strings.Contains(err.Error(), "send() failed (11: Resource temporarily unavailable)") {
				t.Fatalf("unexpected report: %v", err)
			}
			return
		}
		if i == 99999 {
			t.Fatal("the queue never filled")
		}
	}
}

func TestSendsAfterCloseAreDropped(t *testing.T) {
	pc := listenUDP(t)
	p := New(Options{Network: "udp", Addr: pc.LocalAddr().String(), Now: clock})
	if err := p.Log([]byte("a")); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Log([]byte("b")); err != nil {
		t.Fatal(err)
	}
}
