//go:build linux

package process

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/straitproxy/strait/internal/straittest"
)

// holdPort binds a TCP socket to 127.0.0.1:0 with SO_REUSEPORT, without
// listening, and returns its address. strait can then listen on the same
// address with "listen ... reuseport" while the port stays held (no other
// process can take it in between), and every connection goes to strait's
// socket, the only one listening.
func holdPort(t *testing.T) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return "127.0.0.1:" + strconv.Itoa(sa.(*syscall.SockaddrInet4).Port)
}

// countingEcho is an upstream that counts its connections and echoes
// with plain reads and writes (io.Copy would splice, holding pipes in
// this process).
type countingEcho struct {
	addr     string
	accepted atomic.Int64
}

func startCountingEcho(t *testing.T) *countingEcho {
	t.Helper()
	ln := straittest.Listen(t)
	e := &countingEcho{addr: ln.Addr().String()}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			e.accepted.Add(1)
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			c.SetDeadline(time.Now().Add(time.Minute))
			wg.Go(func() {
				buf := make([]byte, 512)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						c.Write(buf[:n])
					}
					if err != nil {
						return
					}
				}
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return e
}

// TestOpenFilesLimitRefusesClientsNotDials runs strait with 4,000 open
// files and more clients than fit. It must hold at least 1,980 proxied
// sessions, 99% of what two descriptors per session allow (an idle
// session holds nothing else; the rest goes to strait's own files and a
// small reserve); leave the clients beyond in the listen backlog rather
// than accept them and fail their upstream connections (no 502, no
// socket() or connect() errors); and take them as sessions end.
func TestOpenFilesLimitRefusesClientsNotDials(t *testing.T) {
	const limit, clients, atLeast = 4000, 2200, 1980
	var own syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &own); err != nil {
		t.Fatal(err)
	}
	// This process holds the clients and the upstream's side of every
	// session; the runtime has raised the soft limit to the hard one.
	if own.Cur < 2*clients+200 {
		t.Fatalf("this test needs %d open files, RLIMIT_NOFILE is %d", 2*clients+200, own.Cur)
	}
	up := startCountingEcho(t)
	listen := holdPort(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "strait.conf")
	// worker_connections is not the limit here: the open files are.
	writeConf(t, conf, fmt.Sprintf(`daemon off;
pid %[1]s/strait.pid;
worker_rlimit_nofile %[2]d;
error_log %[1]s/error.log info;
events { worker_connections 100000; }
stream {
    log_format status '$status';
    access_log %[1]s/access.log status;
    server {
        listen %[3]s reuseport;
        proxy_pass %[4]s;
    }
}
`, dir, limit, listen, up.addr))
	stderr := &bytes.Buffer{}
	cmd := exec.Command(straitBin, "-c", conf)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	errorLog := func() string {
		b, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		return string(b)
	}
	eventually(t, "strait listening", func() error {
		if !strings.Contains(errorLog(), "started") {
			return fmt.Errorf("stderr: %s", stderr)
		}
		return nil
	})

	// Clients connect and stay silent: an idle session takes nothing
	// but its two sockets, so what strait holds settles exactly.
	conns := make(map[int]net.Conn, clients)
	for range clients {
		c, err := net.DialTimeout("tcp", listen, 5*time.Second)
		if err != nil {
			t.Fatalf("dial %d: %v", len(conns), err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(time.Minute))
		conns[c.LocalAddr().(*net.TCPAddr).Port] = c
	}
	accepted := regexp.MustCompile(`client 127\.0\.0\.1:(\d+) connected to ` + regexp.QuoteMeta(listen))
	proxied := regexp.MustCompile(`proxy 127\.0\.0\.1:\d+ connected to ` + regexp.QuoteMeta(up.addr))
	full := "[crit] " + strconv.Itoa(cmd.Process.Pid) + "#" + strconv.Itoa(cmd.Process.Pid) + ": accept() failed (24: Too many open files)"
	var held [][]string
	eventually(t, "strait to fill up and settle", func() error {
		log := errorLog()
		held = accepted.FindAllStringSubmatch(log, -1)
		ups := len(proxied.FindAllString(log, -1))
		if !strings.Contains(log, full) || ups != len(held) || int(up.accepted.Load()) != len(held) {
			return fmt.Errorf("%d sessions, %d upstream connections logged, %d seen by the upstream; %q logged: %v",
				len(held), ups, up.accepted.Load(), full, strings.Contains(log, full))
		}
		return nil
	})
	// On a loaded machine the checks above can agree while strait is
	// still taking sessions: settled means the count stays put for a
	// while (bounded by eventually's deadline).
	same := 0
	eventually(t, "the session count to stay put", func() error {
		now := len(accepted.FindAllStringSubmatch(errorLog(), -1))
		if now != len(held) {
			held, same = accepted.FindAllStringSubmatch(errorLog(), -1), 0
			return fmt.Errorf("still changing: %d sessions", now)
		}
		if same++; same < 10 {
			return fmt.Errorf("%d sessions for %d polls", now, same)
		}
		return nil
	})
	t.Logf("strait holds %d sessions with %d open files", len(held), limit)
	if len(held) < atLeast || len(held) >= clients {
		fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", cmd.Process.Pid))
		log := errorLog()
		t.Fatalf("strait holds %d sessions with %d open files (%d descriptors open now), want at least %d and fewer than the %d clients; error log ends:\n%s",
			len(held), limit, len(fds), atLeast, clients, log[max(0, len(log)-3000):])
	}
	// Every session accepted is proxied end to end.
	var wg sync.WaitGroup
	var echoed atomic.Int64
	for _, m := range held {
		port, _ := strconv.Atoi(m[1])
		c := conns[port]
		if c == nil {
			t.Fatalf("no client with port %d", port)
		}
		wg.Go(func() {
			buf := []byte{'x'}
			if _, err := c.Write(buf); err != nil {
				return
			}
			if _, err := c.Read(buf); err == nil && buf[0] == 'x' {
				echoed.Add(1)
			}
		})
	}
	wg.Wait()
	if int(echoed.Load()) != len(held) {
		t.Errorf("%d of %d sessions echoed", echoed.Load(), len(held))
	}

	// Sessions that end make room for clients waiting in the backlog.
	const ending = 5
	for _, m := range held[:ending] {
		port, _ := strconv.Atoi(m[1])
		conns[port].Close()
	}
	eventually(t, "waiting clients to become sessions", func() error {
		log := errorLog()
		n, ups := len(accepted.FindAllString(log, -1)), len(proxied.FindAllString(log, -1))
		if n != len(held)+ending || ups != n {
			return fmt.Errorf("%d sessions, %d upstream connections; want %d of each", n, ups, len(held)+ending)
		}
		return nil
	})

	// Stop strait with every session open: they all end with 200.
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
		done <- nil
	case <-time.After(10 * time.Second):
		t.Fatalf("strait did not exit; stderr:\n%s", stderr)
	}
	log := errorLog()
	for _, bad := range []string{"[error]", "[alert]", "[emerg]", "socket() failed", "connect() failed"} {
		if strings.Contains(log, bad) {
			t.Errorf("error log has %q:\n%s", bad, tail(log, 20))
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "access.log"))
	statuses := strings.Fields(string(b))
	for _, s := range statuses {
		if s != "200" {
			t.Errorf("a session ended with %s: %v", s, statuses)
			break
		}
	}
	if len(statuses) != len(held)+ending {
		t.Errorf("%d sessions logged, want %d", len(statuses), len(held)+ending)
	}
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
