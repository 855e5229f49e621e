package interop

import (
	"cmp"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
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
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(`stream {
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
	// Each logger run is a client of its own, so a session of its own,
	// and sessions run side by side: they may reach the peer in any
	// order, in strait as across nginx's workers.
	slices.SortFunc(got, func(a, b string) int { return cmp.Compare(messageNumber(a), messageNumber(b)) })
	for i := range messages {
		want := fmt.Sprintf(" message %d", i)
		if i >= len(got) || !strings.Contains(got[i], " strait-test ") || !strings.HasSuffix(got[i], want) {
			t.Fatalf("message %d: got %d messages %q, want %q", i, len(got), got, want)
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

// messageNumber is the N of a syslog line ending in "message N", -1 for
// another line.
func messageNumber(line string) int {
	_, num, ok := strings.Cut(line, " message ")
	if !ok {
		return -1
	}
	n, err := strconv.Atoi(num)
	if err != nil {
		return -1
	}
	return n
}
