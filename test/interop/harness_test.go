package interop

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/straitproxy/strait/internal/server/servertest"
	"github.com/straitproxy/strait/internal/straittest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	removeStraitBinary()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// waitLimit bounds every wait for a peer, a log line or a reply.
const waitLimit = 10 * time.Second

// logFormat gives one access-log record per session with the facts the
// tests check, separated by '|' because $upstream_addr may hold ", ".
const logFormat = `log_format interop '$upstream_addr|$upstream_ssl_protocol|$upstream_ssl_cipher|` +
	`$upstream_ssl_session_reused|$upstream_ssl_verify|$upstream_ssl_server_name|$status';`

// record is one parsed access-log line.
type record struct {
	UpstreamAddr, Protocol, Cipher, Reused, Verify, ServerName, Status string
}

func parseRecord(t testing.TB, line string) record {
	t.Helper()
	f := strings.Split(line, "|")
	if len(f) != 7 {
		t.Fatalf("access log line %q has %d fields, want 7", line, len(f))
	}
	return record{f[0], f[1], f[2], f[3], f[4], f[5], f[6]}
}

// strait is an in-process strait with its access log and error log.
type strait struct {
	*servertest.Instance
	accessPath string
}

// startStrait writes stream body (a list of upstream and server blocks,
// "{{dir}}" standing for dir) inside a stream block that logs every
// session with logFormat, loads it the way `strait -c` does and serves it
// until the test ends, on the listeners the test bound for its listen
// addresses (see listenAddr).
func startStrait(t testing.TB, dir, body string, lns ...net.Listener) *strait {
	t.Helper()
	access := filepath.Join(dir, "access.log")
	text := "events {} stream {\n    " + logFormat + "\n    access_log " + access + " interop;\n" +
		strings.ReplaceAll(body, "{{dir}}", dir) + "\n}\n"
	conf := filepath.Join(dir, "strait.conf")
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return &strait{Instance: servertest.Start(t, conf, dir, lns...), accessPath: access}
}

// listenAddr binds a loopback port for a listen directive: the listener
// goes to startStrait (or a peer process), the address into the
// configuration. No test picks a free port to bind later: another
// process could take it in between.
func listenAddr(t testing.TB) (net.Listener, string) {
	t.Helper()
	return straittest.ListenAddr(t)
}

// records waits until the access log holds at least n records and returns
// them all.
func (s *strait) records(t testing.TB, n int) []record {
	t.Helper()
	var lines []string
	for deadline := time.Now().Add(waitLimit); ; time.Sleep(10 * time.Millisecond) {
		b, err := os.ReadFile(s.accessPath)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		lines = nonEmptyLines(string(b))
		if len(lines) >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("access log has %d records, want %d:\n%s", len(lines), n, b)
		}
	}
	out := make([]record, len(lines))
	for i, l := range lines {
		out[i] = parseRecord(t, l)
	}
	return out
}

func nonEmptyLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// needTool returns the path of an external program. Without it the test
// is skipped, except under CI, where a missing tool is a failure.
func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/usr/bin", "/usr/local/sbin"} {
		if c := filepath.Join(dir, name); isExecutable(c) {
			return c
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not installed (required when CI=true)", name)
	}
	t.Skipf("%s is not installed; set CI=true to make this a failure", name)
	return ""
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// process is an external program started for a test: a peer, or the
// strait binary.
type process struct {
	name   string
	pid    int
	out    *straittest.LockedBuffer
	exited chan struct{}
}

// launch starts name with args and stops it when the test ends: with
// TERM, then KILL after waitLimit, when graceful is set; with KILL
// otherwise. Its output is shown if the test fails.
func launch(t testing.TB, graceful bool, name string, args ...string) *process {
	t.Helper()
	return launchCmd(t, graceful, exec.Command(name, args...), "")
}

// launchCmd is launch for a prepared command, which inherits lns as its
// descriptors 3, 4, … named in the variable env (unless env is ""; see
// straittest.PassListeners). It runs in a process group of its own, so
// that stopping it stops the workers it forked too.
func launchCmd(t testing.TB, graceful bool, cmd *exec.Cmd, env string, lns ...net.Listener) *process {
	t.Helper()
	socks := make([]io.Closer, len(lns))
	for i, ln := range lns {
		socks[i] = ln
	}
	return launchSockets(t, graceful, cmd, env, socks...)
}

// launchSockets is launchCmd for any sockets with a File method, UDP
// ones included (see straittest.PassSockets).
func launchSockets(t testing.TB, graceful bool, cmd *exec.Cmd, env string, socks ...io.Closer) *process {
	t.Helper()
	p := &process{name: filepath.Base(cmd.Path), out: &straittest.LockedBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	release := straittest.PassSockets(t, cmd, env, socks...)
	err := cmd.Start()
	release()
	if err != nil {
		t.Fatal(err)
	}
	p.pid = cmd.Process.Pid
	go func() {
		cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		// Signalled while the leader lives, the group cannot be another's.
		group := -cmd.Process.Pid
		if graceful {
			syscall.Kill(group, syscall.SIGTERM)
			select {
			case <-p.exited:
			case <-time.After(waitLimit):
			}
		}
		select {
		case <-p.exited:
		default:
			syscall.Kill(group, syscall.SIGKILL)
		}
		<-p.exited
		if t.Failed() {
			t.Logf("%s output:\n%s", p.name, p.out.String())
		}
	})
	return p
}

// waitUntil polls ready until it holds, failing the test if the process
// exits first or waitLimit passes.
func (p *process) waitUntil(t testing.TB, what string, ready func() bool) {
	t.Helper()
	for deadline := time.Now().Add(waitLimit); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case <-p.exited:
			t.Fatalf("%s exited early:\n%s", p.name, p.out.String())
		default:
		}
		if ready() {
			return
		}
	}
	t.Fatalf("%s did not %s within %v:\n%s", p.name, what, waitLimit, p.out.String())
}

// waitOutput waits until the process has written want and returns the
// rest of the line that holds it.
func (p *process) waitOutput(t testing.TB, want string) string {
	t.Helper()
	var rest string
	p.waitUntil(t, "say "+want, func() bool {
		_, after, ok := strings.Cut(p.out.String(), want)
		if !ok || !strings.Contains(after, "\n") {
			return false
		}
		rest, _, _ = strings.Cut(after, "\n")
		return true
	})
	return strings.TrimSpace(rest)
}

// exchange connects to addr, sends msg at once and returns everything
// read until the proxy closes or waitLimit passes.
func exchange(t testing.TB, addr, msg string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(waitLimit))
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	b.ReadFrom(c)
	return b.String()
}

// readLine connects to addr, sends line and returns the first line of the
// reply (without its newline).
func readLine(t testing.TB, addr, line string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(waitLimit))
	if _, err := c.Write([]byte(line + "\n")); err != nil {
		t.Fatal(err)
	}
	var got []byte
	buf := make([]byte, 1)
	for len(got) < 4096 {
		if _, err := c.Read(buf); err != nil {
			t.Fatalf("reading reply to %q: %v (so far %q)", line, err, got)
		}
		if buf[0] == '\n' {
			break
		}
		got = append(got, buf[0])
	}
	return string(got)
}
