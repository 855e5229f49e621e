package interop

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/server/servertest"
)

// TestUDPSyslogThroughStrait sends syslog messages with logger(1)
// through strait to a receiver that never answers: with proxy_responses
// 0 each session ends as soon as its datagram is sent upstream ("udp
// done"), so none waits for proxy_timeout, and every message arrives.
func TestUDPSyslogThroughStrait(t *testing.T) {
	logger := needTool(t, "logger")
	recv := bindUDP(t)
	var mu sync.Mutex
	var got []string
	var wg sync.WaitGroup
	wg.Go(func() {
		b := make([]byte, 2048)
		for {
			n, err := recv.Read(b)
			if err != nil {
				return
			}
			mu.Lock()
			got = append(got, string(b[:n]))
			mu.Unlock()
		}
	})
	defer func() {
		recv.Close()
		wg.Wait()
	}()
	pc := bindUDP(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "strait.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(`events {} stream {
    log_format udp '$protocol $status $bytes_sent $bytes_received $upstream_bytes_received';
    access_log %s/access.log udp;
    server { listen %s udp; proxy_responses 0; proxy_timeout 1h; proxy_pass %s; }
}`, dir, pc.LocalAddr(), recv.LocalAddr())), 0o644); err != nil {
		t.Fatal(err)
	}
	st := servertest.StartSockets(t, conf, dir, nil, []net.PacketConn{pc})
	_, port, _ := net.SplitHostPort(pc.LocalAddr().String())
	const messages = 20
	for i := range messages {
		out, err := exec.Command(logger, "--udp", "-n", "127.0.0.1", "-P", port, "-t", "strait-test",
			fmt.Sprintf("message %d", i)).CombinedOutput()
		if err != nil {
			t.Fatalf("logger: %v: %s", err, out)
		}
	}
	for deadline := time.Now().Add(waitLimit); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		text, _ := os.ReadFile(filepath.Join(dir, "access.log"))
		if n == messages && len(nonEmptyLines(string(text))) == messages {
			break
		}
	}
	mu.Lock()
	defer mu.Unlock()
	// Each logger run is a session of its own, relayed independently:
	// datagrams need not arrive in the order they were sent.
	if len(got) != messages {
		t.Fatalf("got %d messages, want %d: %q", len(got), messages, got)
	}
	for i := range messages {
		want := fmt.Sprintf(" message %d", i)
		found := false
		for _, m := range got {
			found = found || (strings.Contains(m, " strait-test ") && strings.HasSuffix(m, want))
		}
		if !found {
			t.Errorf("no %q among %q", want, got)
		}
	}
	text, _ := os.ReadFile(filepath.Join(dir, "access.log"))
	for _, line := range nonEmptyLines(string(text)) {
		if !strings.HasPrefix(line, "UDP 200 0 ") || !strings.HasSuffix(line, " 0") {
			t.Errorf("access log line %q, want a UDP session with nothing sent back", line)
		}
	}
	if n := strings.Count(st.Log.String(), "udp done, packets from/to client:1/0"); n != messages {
		t.Errorf("%d \"udp done\" lines, want %d:\n%s", n, messages, st.Log.String())
	}
}
