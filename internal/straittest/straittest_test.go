package straittest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain fails the package if a listener, handler or server goroutine
// outlives its test: every cleanup here must wait for what it started.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestLockedBufferKeepsEveryConcurrentWrite(t *testing.T) {
	const writers, lines = 16, 2000
	var b LockedBuffer
	var wg sync.WaitGroup
	start := make(chan struct{}) // release all writers at once
	for w := range writers {
		wg.Go(func() {
			<-start
			for i := range lines {
				fmt.Fprintf(&b, "writer %02d line %04d\n", w, i)
			}
		})
	}
	close(start)
	wg.Wait()
	got := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(got) != writers*lines {
		t.Fatalf("got %d lines, want %d", len(got), writers*lines)
	}
	seen := map[string]bool{}
	for _, l := range got {
		seen[l] = true
	}
	for w := range writers {
		for i := range lines {
			if l := fmt.Sprintf("writer %02d line %04d", w, i); !seen[l] {
				t.Fatalf("line %q missing or torn", l)
			}
		}
	}
}

func TestFreeAddrAndFreePortAreBindableLoopback(t *testing.T) {
	tests := []struct {
		name string
		addr func(testing.TB) string
	}{
		{"FreeAddr", FreeAddr},
		{"FreePort", func(tb testing.TB) string { return "127.0.0.1:" + FreePort(tb) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := tt.addr(t)
			if !strings.HasPrefix(addr, "127.0.0.1:") || strings.HasSuffix(addr, ":0") {
				t.Fatalf("address %q, want 127.0.0.1 and a nonzero port", addr)
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				t.Fatalf("listen on %s: %v", addr, err)
			}
			ln.Close()
		})
	}
}

// dialAndRead writes msg to addr and returns everything read until the
// peer closes.
func dialAndRead(t *testing.T, addr, msg string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(ConnDeadline))
	io.WriteString(c, msg)
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(b)
}

func TestServeTCPRunsTheHandlerPerConnection(t *testing.T) {
	addr := ServeTCP(t, func(c net.Conn) {
		line, _ := bufio.NewReader(c).ReadString('\n')
		io.WriteString(c, "echo "+line)
	})
	for i := range 3 {
		msg := fmt.Sprintf("message %d\n", i)
		if got := dialAndRead(t, addr, msg); got != "echo "+msg {
			t.Errorf("got %q, want %q", got, "echo "+msg)
		}
	}
}

func TestStartServesTheConfiguration(t *testing.T) {
	up := ServeTCP(t, func(c net.Conn) { io.WriteString(c, "from upstream") })
	dir := t.TempDir()
	conf := filepath.Join(dir, "strait.conf")
	text := fmt.Sprintf("stream { server { listen %s; proxy_pass %s; } }\n", FreeAddr(t), up)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	st := Start(t, conf, dir)
	if got := dialAndRead(t, st.Addr(t), ""); got != "from upstream" {
		t.Fatalf("through strait got %q, want %q", got, "from upstream")
	}
	if log := st.Log.String(); !strings.Contains(log, "[info]") {
		t.Errorf("error log has no info records:\n%s", log)
	}
}
