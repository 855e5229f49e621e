package straittest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"

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

// dialAndRead writes msg to addr and returns everything read until the
// peer closes.
func dialAndRead(t *testing.T, addr, msg string) string {
	t.Helper()
	c := Dial(t, addr)
	defer c.Close()
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

func TestHandlersAnswerAsDocumented(t *testing.T) {
	tests := []struct {
		name, send, want string
		handle           func(net.Conn)
	}{
		{"Echo", "ping pong", "ping pong", Echo},
		// Say reads nothing: data sent to it would make its close a reset.
		{"Say", "", "hello", Say("hello")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := ServeTCP(t, tt.handle)
			c := Dial(t, addr)
			io.WriteString(c, tt.send)
			c.(*net.TCPConn).CloseWrite()
			b, err := io.ReadAll(c)
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if string(b) != tt.want {
				t.Fatalf("got %q, want %q", b, tt.want)
			}
		})
	}
}

func TestRefusedAddrRefusesAndHoldsThePort(t *testing.T) {
	addr := RefusedAddr(t)
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Fatalf("dial %s succeeded, want refused", addr)
	}
	// The port stays taken, so no other test's listener can appear there.
	if ln, err := net.Listen("tcp", addr); err == nil {
		ln.Close()
		t.Fatalf("%s could be bound while RefusedAddr holds it", addr)
	}
}

func TestListenRangeHoldsConsecutivePortsBelowEphemeral(t *testing.T) {
	const n = 3
	lns := ListenRange(t, n)
	first, _ := strconv.Atoi(Port(t, lns[0]))
	if len(lns) != n || first < 1024 || first+n > 32768 {
		t.Fatalf("%d listeners from %d, want %d within 1024..32767", len(lns), first, n)
	}
	for i, ln := range lns {
		if got := Port(t, ln); got != strconv.Itoa(first+i) {
			t.Errorf("listener %d on port %s, want %d", i, got, first+i)
		}
		c := Dial(t, ln.Addr().String()) // accepted by the kernel's backlog
		c.Close()
	}
}

func TestPassListenersNumbersFilesAfterExtraFiles(t *testing.T) {
	sh := Tool(t, "sh")
	ln, addr := ListenAddr(t)
	cmd := exec.Command(sh, "-c", `echo "$STRAIT"`)
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	cmd.ExtraFiles = []*os.File{devnull} // fd 3, as daemon mode's pipe is
	release := PassListeners(t, cmd, "STRAIT", ln)
	out, err := cmd.Output()
	release()
	if err != nil || string(out) != "4;\n" {
		t.Fatalf("child saw STRAIT=%q (%v), want \"4;\"", out, err)
	}
	// The test's own listener was closed and the child has exited: the
	// socket is gone.
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Errorf("%s still accepts after the hand-over", addr)
	}
}

func TestListenIsClosedWhenTheTestEnds(t *testing.T) {
	var addr string
	t.Run("inner", func(t *testing.T) {
		addr = Listen(t).Addr().String()
		if c, err := net.Dial("tcp", addr); err != nil {
			t.Fatalf("dial while the test runs: %v", err)
		} else {
			c.Close()
		}
	})
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Fatalf("%s still listens after its test ended", addr)
	}
}

func TestToolFindsAProgram(t *testing.T) {
	if p := Tool(t, "sh"); p == "" {
		t.Fatal("no path for sh")
	}
}
