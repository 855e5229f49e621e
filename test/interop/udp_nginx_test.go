package interop

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/server/servertest"
)

// udpEcho is a UDP peer answering each datagram with prefix+datagram,
// or not at all when prefix is "".
func udpEcho(t testing.TB, prefix string) string {
	t.Helper()
	pc := bindUDP(t)
	var wg sync.WaitGroup
	wg.Go(func() {
		b := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFromUDPAddrPort(b)
			if err != nil {
				return
			}
			if prefix != "" {
				pc.WriteToUDPAddrPort(append([]byte(prefix), b[:n]...), from)
			}
		}
	})
	t.Cleanup(func() {
		pc.Close()
		wg.Wait()
	})
	return pc.LocalAddr().String()
}

func bindUDP(t testing.TB) *net.UDPConn {
	t.Helper()
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return pc
}

// udpAsk sends msg from a new socket and returns the answer, "-" for
// none within wait.
func udpAsk(t testing.TB, addr, msg string, wait time.Duration) string {
	t.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte(msg))
	c.SetReadDeadline(time.Now().Add(wait))
	b := make([]byte, 2048)
	n, err := c.Read(b)
	if err != nil {
		return "-"
	}
	return string(b[:n])
}

// TestUDPMatchesNginx runs one configuration in nginx and in strait, on
// UDP sockets the test bound and passed to each, with the same traffic:
// the answers (and so the round robin sequence over two peers), return
// over UDP, a peer that never answers, and the access log records must
// be the same.
func TestUDPMatchesNginx(t *testing.T) {
	nginx := needTool(t, "nginx")
	if _, err := os.Stat(nginxStreamModule); err != nil {
		needTool(t, nginxStreamModule)
	}
	a, b, silent := udpEcho(t, "a:"), udpEcho(t, "b:"), udpEcho(t, "")
	run := func(t *testing.T, start func(dir, stream string, socks []*net.UDPConn)) ([]string, []string) {
		dir := t.TempDir()
		socks := []*net.UDPConn{bindUDP(t), bindUDP(t), bindUDP(t)}
		stream := fmt.Sprintf(`stream {
    log_format udp '$remote_addr $protocol $status $bytes_sent $bytes_received "$upstream_addr" "$upstream_bytes_sent" "$upstream_bytes_received"';
    access_log %s/access.log udp;
    upstream g { server %s; server %s; }
    server { listen %s udp; proxy_responses 1; proxy_timeout 5s; proxy_pass g; }
    server { listen %s udp; return "r $remote_addr $protocol"; }
    server { listen %s udp; proxy_responses 1; proxy_timeout 200ms; proxy_pass %s; }
}
`, dir, a, b, socks[0].LocalAddr(), socks[1].LocalAddr(), socks[2].LocalAddr(), silent)
		start(dir, stream, socks)
		var answers []string
		for i := range 6 {
			answers = append(answers, udpAsk(t, socks[0].LocalAddr().String(), fmt.Sprintf("q%d", i), waitLimit))
		}
		answers = append(answers, udpAsk(t, socks[1].LocalAddr().String(), "x", waitLimit))
		answers = append(answers, udpAsk(t, socks[2].LocalAddr().String(), "lost", 50*time.Millisecond))
		var lines []string
		for deadline := time.Now().Add(waitLimit); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			text, _ := os.ReadFile(filepath.Join(dir, "access.log"))
			if lines = nonEmptyLines(string(text)); len(lines) >= 8 {
				break
			}
		}
		return answers, lines
	}
	var nAnswers, nLog, sAnswers, sLog []string
	t.Run("nginx", func(t *testing.T) {
		nAnswers, nLog = run(t, func(dir, stream string, socks []*net.UDPConn) {
			conf := filepath.Join(dir, "nginx.conf")
			text := "load_module " + nginxStreamModule + ";\nevents {}\n" + stream
			if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
			// nginx takes UDP sockets from its NGINX variable as well.
			launchSockets(t, true, exec.Command(nginx, "-p", dir, "-c", conf, "-e", "stderr",
				"-g", "daemon off; worker_processes 1; pid "+filepath.Join(dir, "nginx.pid")+"; error_log stderr info;"),
				"NGINX", []io.Closer{socks[0], socks[1], socks[2]}...)
		})
	})
	t.Run("strait", func(t *testing.T) {
		sAnswers, sLog = run(t, func(dir, stream string, socks []*net.UDPConn) {
			conf := filepath.Join(dir, "strait.conf")
			if err := os.WriteFile(conf, []byte("events {} "+stream), 0o644); err != nil {
				t.Fatal(err)
			}
			servertest.StartSockets(t, conf, dir, nil, []net.PacketConn{socks[0], socks[1], socks[2]})
		})
	})
	if strings.Join(nAnswers, "|") != strings.Join(sAnswers, "|") {
		t.Errorf("answers differ\nnginx:  %q\nstrait: %q", nAnswers, sAnswers)
	}
	// The answers above show the order sessions reached the peers; the
	// records are written as sessions end, which may interleave with the
	// client's next session (strait logs once the answer is relayed,
	// nginx before it reads again), so compare them as sets.
	nLog, sLog = slices.Sorted(slices.Values(nLog)), slices.Sorted(slices.Values(sLog))
	if strings.Join(nLog, "\n") != strings.Join(sLog, "\n") {
		t.Errorf("access logs differ\nnginx:\n%s\nstrait:\n%s", strings.Join(nLog, "\n"), strings.Join(sLog, "\n"))
	}
	t.Logf("answers: %q\naccess log (both):\n%s", sAnswers, strings.Join(sLog, "\n"))
	if len(sLog) != 8 {
		t.Errorf("strait logged %d sessions, want 8", len(sLog))
	}
}
