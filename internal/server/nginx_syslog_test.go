package server

import (
	"net"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/straittest"
)

// syslogConfig sends the error log and two access logs, with default and
// with every parameter, to one syslog receiver. {{syslog}}, {{listen1}},
// {{listen2}} and {{upstream}} are filled in.
const syslogConfig = `
events {} stream {
    error_log syslog:server={{syslog}},facility=user,severity=crit,tag=errt error;
    log_format f '$remote_addr $status "$upstream_addr" $bytes_received $protocol';
    server {
        listen {{listen1}};
        proxy_pass {{upstream}};
        access_log syslog:server={{syslog}} f;
    }
    server {
        listen {{listen2}};
        proxy_pass 127.0.0.1:1;
        access_log syslog:server={{syslog}},nohostname,tag=abc_1,severity=notice,facility=daemon f;
    }
}
`

// syslogReceiver is a UDP syslog receiver bound by the test.
type syslogReceiver struct{ pc net.PacketConn }

func newSyslogReceiver(t *testing.T) *syslogReceiver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	return &syslogReceiver{pc}
}

func (r *syslogReceiver) addr() string { return r.pc.LocalAddr().String() }

// next returns the next datagram.
func (r *syslogReceiver) next(t *testing.T) string {
	t.Helper()
	buf := make([]byte, 65536)
	r.pc.SetReadDeadline(time.Now().Add(10 * time.Second)) // only against a hang
	n, _, err := r.pc.ReadFrom(buf)
	if err != nil {
		t.Fatalf("waiting for a syslog datagram: %v", err)
	}
	return string(buf[:n])
}

// syslogVolatile matches what differs between two runs: the header and
// error log timestamps, process ids, connection numbers and ports.
var syslogVolatile = []struct {
	re   *regexp.Regexp
	repl string
}{
	{regexp.MustCompile(`^(<\d+>)[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d `), "${1}TIME "},
	{regexp.MustCompile(`\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(\w+)\] \d+#\d+: \*\d+ `), "DATE [$1] PID: *N "},
	{regexp.MustCompile(`127\.0\.0\.1:\d+`), "127.0.0.1:PORT"},
	// nginx ends a failed connect's message with the byte counts; strait
	// does not print them there yet. That is the message, which the
	// error log file shares, not the syslog transport under test.
	{regexp.MustCompile(`, bytes from/to client:0/0, bytes from/to upstream:0/0$`), ""},
}

func normalizeSyslog(d string) string {
	for _, v := range syslogVolatile {
		d = v.re.ReplaceAllString(d, v.repl)
	}
	return d
}

// TestSyslogAgreesWithNginx runs the same sessions through nginx and
// strait with syslogConfig, each sending to its own receiver, and
// compares the datagrams byte for byte once timestamps, process ids,
// connection numbers and ports are masked.
func TestSyslogAgreesWithNginx(t *testing.T) {
	nginx := straittest.Tool(t, "/usr/sbin/nginx")
	if _, err := os.Stat(nginxStreamModule); err != nil {
		t.Fatalf("nginx is installed without its stream module: %v", err)
	}
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	host = strings.ToLower(host) // what nginx puts in the header
	up := straittest.ServeTCP(t, straittest.Echo)
	fill := func(text, syslogAddr, p1, p2 string) string {
		return strings.NewReplacer("{{syslog}}", syslogAddr, "{{upstream}}", up,
			"{{listen1}}", "127.0.0.1:"+p1, "{{listen2}}", "127.0.0.1:"+p2).Replace(text)
	}
	sessions := func(r *syslogReceiver, p1, p2 string) []string {
		echoSession(t, "127.0.0.1:"+p1, "hello")
		roundTrip(t, "127.0.0.1:"+p2, "x")
		// The access log line of session 1, the error and access log
		// lines of session 2.
		got := []string{r.next(t), r.next(t), r.next(t)}
		slices.Sort(got)
		return got
	}

	ngxRecv := newSyslogReceiver(t)
	ngxDir := t.TempDir()
	nln1, n1 := listenPort(t)
	nln2, n2 := listenPort(t)
	text := "load_module " + nginxStreamModule + ";\n" + fill(syslogConfig, ngxRecv.addr(), n1, n2)
	stderr := startNginx(t, nginx, ngxDir, text, nln1, nln2)
	waitFor(t, "nginx to listen", func() bool {
		c, err := net.Dial("tcp", "127.0.0.1:"+n1)
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
	ngxRecv.next(t) // the readiness probe's access log line
	ngxGot := sessions(ngxRecv, n1, n2)

	stRecv := newSyslogReceiver(t)
	stDir := t.TempDir()
	sln1, s1 := listenPort(t)
	sln2, s2 := listenPort(t)
	cfg := mustConfig(t, stDir, fill(syslogConfig, stRecv.addr(), s1, s2))
	// Not startServer: its fixed logger would replace error_log.
	srv, err := New(cfg, Options{Hostname: host, PID: 1, Stderr: &straittest.LockedBuffer{}, Inherited: []net.Listener{sln1, sln2}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve() }()
	defer func() { srv.Close(); <-done }()
	stGot := sessions(stRecv, s1, s2)

	for i := range ngxGot {
		t.Logf("nginx:  %q\nstrait: %q", ngxGot[i], stGot[i])
		if n, s := normalizeSyslog(ngxGot[i]), normalizeSyslog(stGot[i]); n != s {
			t.Errorf("datagram %d differs\nnginx:  %q\nstrait: %q", i, n, s)
		}
	}
	if t.Failed() {
		t.Logf("nginx stderr:\n%s", stderr.String())
	}
}
