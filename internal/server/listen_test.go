package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/straittest"
)

func TestListenForms(t *testing.T) {
	dir := t.TempDir()
	a := straittest.ServeTCP(t, straittest.Say("wildcard"))
	b := straittest.ServeTCP(t, straittest.Say("specific"))
	c := straittest.ServeTCP(t, straittest.Say("range"))
	u := straittest.ServeTCP(t, straittest.Say("unix"))
	// The test binds the wildcard socket itself (the configuration's
	// "listen P" and "listen 127.0.0.1:P" share it) and the range's ports,
	// and hands them over; the unix socket needs no port.
	wild, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		t.Fatal(err)
	}
	p := straittest.Port(t, wild)
	rng := straittest.ListenRange(t, 2)
	r := 0
	fmt.Sscan(straittest.Port(t, rng[0]), &r)
	sock := filepath.Join(dir, "in.sock")
	ts := startServer(t, mustConfig(t, dir, fmt.Sprintf(`
events {} stream {
    server { listen %s; proxy_pass %s; }
    server { listen 127.0.0.1:%s; proxy_pass %s; }
    server { listen 127.0.0.1:%d-%d so_keepalive=on backlog=16 rcvbuf=64k; proxy_pass %s; }
    server { listen unix:%s; proxy_pass %s; }
}`, p, a, p, b, r, r+1, c, sock, u)), wild, rng[0], rng[1])
	for _, tc := range []struct{ network, addr, want string }{
		// A specific address shares the wildcard socket, dispatched by
		// the local address, as nginx does without "bind".
		{"tcp", "127.0.0.1:" + p, "specific"},
		{"tcp", fmt.Sprintf("127.0.0.2:%s", p), "wildcard"},
		{"tcp", fmt.Sprintf("127.0.0.1:%d", r), "range"},
		{"tcp", fmt.Sprintf("127.0.0.1:%d", r+1), "range"},
		{"unix", sock, "unix"},
	} {
		conn, err := net.Dial(tc.network, tc.addr)
		if err != nil {
			t.Errorf("%s: %v", tc.addr, err)
			continue
		}
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		got, _ := io.ReadAll(conn)
		conn.Close()
		if string(got) != tc.want {
			t.Errorf("%s answered %q, want %q", tc.addr, got, tc.want)
		}
	}
	if n := len(ts.Addrs()); n != 4 {
		t.Errorf("%d sockets bound, want 4 (wildcard, two range ports, unix): %v", n, ts.Addrs())
	}
	if !strings.Contains(ts.log.String(), "client unix: connected to unix:"+sock) {
		t.Errorf("log:\n%s", ts.log)
	}
}

func TestBindErrorInNginxWords(t *testing.T) {
	dir := t.TempDir()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()
	cfg := mustConfig(t, dir, fmt.Sprintf(`events {} stream { server { listen %s; proxy_pass 127.0.0.1:1; } }`, addr))
	_, err = New(cfg, Options{Logger: discardLogger()})
	want := fmt.Sprintf("bind() to %s failed (98: Address already in use)", addr)
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
}

func TestProxyProtocolOnListen(t *testing.T) {
	dir := t.TempDir()
	got := make(chan string, 1)
	up := straittest.ServeTCP(t, func(c net.Conn) {
		b, _ := bufio.NewReader(c).ReadString('!')
		got <- b
		io.WriteString(c, "ok")
	})
	ln, port := listenPort(t)
	ts := startServer(t, mustConfig(t, dir, fmt.Sprintf(`
events {} stream {
    log_format pp '$status $proxy_protocol_addr:$proxy_protocol_port $remote_addr';
    server { listen 127.0.0.1:%s proxy_protocol; proxy_protocol_timeout 5s; proxy_pass %s; access_log {{dir}}/pp.log pp; }
}`, port, up)), ln)
	addr := "127.0.0.1:" + port
	// The header and the first payload bytes arrive in one segment; the
	// payload must still reach the upstream.
	if reply := roundTrip(t, addr, "PROXY TCP4 192.0.2.7 192.0.2.1 4000 80\r\nhello!"); reply != "ok" {
		t.Errorf("reply %q", reply)
	}
	if g := <-got; g != "hello!" {
		t.Errorf("upstream got %q", g)
	}
	// The first session ends after its reply was read; wait for its
	// record so that the two lines are in a known order.
	logPath := filepath.Join(dir, "pp.log")
	waitFor(t, "first access line", func() bool { return strings.Count(readFile(t, logPath), "\n") == 1 })
	roundTrip(t, addr, "GET / HTTP/1.0\r\n\r\n")
	waitFor(t, "two access lines", func() bool { return strings.Count(readFile(t, logPath), "\n") == 2 })
	want := "200 192.0.2.7:4000 127.0.0.1\n400 -:- 127.0.0.1\n"
	if lines := readFile(t, logPath); lines != want {
		t.Errorf("access log %q, want %q", lines, want)
	}
	if !strings.Contains(ts.log.String(), `[error] 1#1: *2 broken header: "GET / HTTP/1.0" while reading PROXY protocol, client: 127.0.0.1, server: `+addr) {
		t.Errorf("log:\n%s", ts.log)
	}
}

// worker_connections counts the listening socket and both connections of
// every session, as nginx does: 5 leave room for two sessions.
func TestWorkerConnectionsPausesAccept(t *testing.T) {
	dir := t.TempDir()
	up := straittest.ServeTCP(t, straittest.Echo)
	ln, port := listenPort(t)
	ts := startServer(t, mustConfig(t, dir, fmt.Sprintf(`
events { worker_connections 5; }
stream { server { listen 127.0.0.1:%s; proxy_pass %s; } }`, port, up)), ln)
	addr := "127.0.0.1:" + port
	var open []net.Conn
	for range 2 {
		c := straittest.Dial(t, addr)
		defer c.Close()
		if err := echoOnce(c, "x"); err != nil {
			t.Fatal(err)
		}
		open = append(open, c)
	}
	// The third connection completes in the kernel's backlog but is not
	// accepted while two sessions run.
	third := straittest.Dial(t, addr)
	defer third.Close()
	io.WriteString(third, "y")
	time.Sleep(100 * time.Millisecond)
	if st := ts.Stats(); st.Accepted != 2 || st.Active != 2 {
		t.Fatalf("at the cap: accepted %d active %d, want 2 and 2", st.Accepted, st.Active)
	}
	open[0].Close()
	buf := make([]byte, 1)
	if _, err := io.ReadFull(third, buf); err != nil || buf[0] != 'y' {
		t.Fatalf("third session after a slot freed: %q %v", buf, err)
	}
	if !strings.Contains(ts.log.String(), "[alert] 1#1: 5 worker_connections are not enough\n") {
		t.Errorf("log:\n%s", ts.log)
	}
}
