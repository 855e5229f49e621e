package accesslog

import (
	"bytes"
	"compress/gzip"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/straittest"
	"github.com/straitproxy/strait/internal/syslog"
)

// gzipMembers splits a file into its gzip members' contents.
func gzipMembers(t *testing.T, data []byte) []string {
	t.Helper()
	var out []string
	br := bytes.NewReader(data)
	zr, err := gzip.NewReader(br)
	if err != nil {
		t.Fatal(err)
	}
	for {
		zr.Multistream(false)
		b, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
		if err := zr.Reset(br); err == io.EOF {
			return out
		} else if err != nil {
			t.Fatal(err)
		}
	}
}

func TestGzipWritesOneMemberPerFlush(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log.gz")
	w, err := Open(path, WriterOptions{Buffer: 64 << 10, Gzip: 1})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("one\n"))
	w.Write([]byte("two\n"))
	w.Flush()
	w.Write([]byte("three\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := gzipMembers(t, data)
	if len(got) != 2 || got[0] != "one\ntwo\n" || got[1] != "three\n" {
		t.Fatalf("members %q, want [\"one\\ntwo\\n\" \"three\\n\"]", got)
	}
	// The tool people use on rotated logs reads every member.
	zcat := straittest.Tool(t, "zcat")
	out, err := exec.Command(zcat, path).Output()
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "one\ntwo\nthree\n" {
		t.Errorf("zcat: %q", out)
	}
}

func TestGzipLongLineIsItsOwnMember(t *testing.T) {
	path := filepath.Join(t.TempDir(), "access.log.gz")
	w, err := Open(path, WriterOptions{Buffer: 8, Gzip: 9})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("short\n"))
	w.Write([]byte("a line longer than the buffer\n"))
	w.Close()
	data, _ := os.ReadFile(path)
	got := gzipMembers(t, data)
	if len(got) != 2 || got[0] != "short\n" || got[1] != "a line longer than the buffer\n" {
		t.Fatalf("members %q", got)
	}
}

func TestFilesRefuseConflictingGzip(t *testing.T) {
	var fs Files
	defer fs.CloseAll()
	path := filepath.Join(t.TempDir(), "a.log")
	if _, err := fs.Get(path, WriterOptions{Buffer: 64 << 10, Gzip: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Get(path, WriterOptions{}); err != nil {
		t.Fatalf("unbuffered second use: %v", err)
	}
	if _, err := fs.Get(path, WriterOptions{Buffer: 64 << 10, Gzip: 1}); err == nil {
		t.Fatal("conflicting gzip level accepted")
	}
}

func TestLogSendsToSyslogWithoutNewline(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	f, err := Compile(registry(t), "$remote_addr $status", "default")
	if err != nil {
		t.Fatal(err)
	}
	peer := syslog.New(syslog.Options{Network: "udp", Addr: pc.LocalAddr().String(),
		Facility: 23, Severity: 6, Tag: "nginx", Hostname: "edge1",
		Now: func() time.Time { return time.Date(2026, 11, 29, 23, 2, 46, 0, time.Local) }})
	defer peer.Close()
	if err := (&Log{Format: f, Syslog: peer}).Record(denied()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 2048)
	pc.SetReadDeadline(time.Now().Add(10 * time.Second)) // only against a hang
	n, _, err := pc.ReadFrom(buf)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(buf[:n]), "<190>Nov 29 23:02:46 edge1 nginx: 192.0.2.7 403"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
