package process

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/straitproxy/strait/internal/straittest"
)

// runInheriting starts strait (daemon off) on the configuration at conf
// with the listeners passed as cmd's descriptors 3, 4, …, named by env
// ("STRAIT", or "" for a caller that sets the variables), and stops it
// when the test ends. It returns strait's standard error.
func runInheriting(t *testing.T, cmd *exec.Cmd, env string, lns ...net.Listener) *straittest.LockedBuffer {
	t.Helper()
	stderr := &straittest.LockedBuffer{}
	cmd.Stderr = stderr
	release := straittest.PassListeners(t, cmd, env, lns...)
	err := cmd.Start()
	release()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("strait stderr:\n%s", stderr)
		}
	})
	return stderr
}

// TestSTRAITPassesListeningSockets hands strait two sockets in STRAIT:
// the one a listen names serves (strait cannot bind that address, the
// socket is already bound) and survives reloads; the other is closed
// with a notice.
func TestSTRAITPassesListeningSockets(t *testing.T) {
	a, b := startEcho(t, "a"), startEcho(t, "b")
	dir := t.TempDir()
	conf := filepath.Join(dir, "strait.conf")
	ln, listen := straittest.ListenAddr(t)
	stray, strayAddr := straittest.ListenAddr(t)
	writeConf(t, conf, confText(dir, listen, a, true))
	runInheriting(t, exec.Command(straitBin, "-c", conf), "STRAIT", ln, stray)
	in := &instance{dir: dir, conf: conf, listen: listen}
	in.expect(t, "a")

	errorLog := filepath.Join(dir, "error.log")
	log, _ := os.ReadFile(errorLog)
	for _, want := range []string{
		`[notice] `, `using inherited sockets from STRAIT="3;4;"`,
		`closing inherited socket on ` + strayAddr + `: no "listen" directive matches it`,
	} {
		if !bytes.Contains(log, []byte(want)) {
			t.Errorf("error.log lacks %q:\n%s", want, log)
		}
	}
	if c, err := net.Dial("tcp", strayAddr); err == nil {
		c.Close()
		t.Errorf("%s, passed but not listened on, still accepts", strayAddr)
	}

	// A session open across reloads, and new ones after each: the
	// inherited socket is kept, never closed and bound again.
	long := dialSession(t, listen)
	for i, up := range []struct{ addr, name string }{{b, "b"}, {a, "a"}} {
		writeConf(t, conf, confText(dir, listen, up.addr, true))
		in.ctl(t, "reload")
		in.expect(t, up.name)
		if got := long.ask(t, fmt.Sprint(i)); got != fmt.Sprintf("a: %d", i) {
			t.Fatalf("long session after reload %d: %q", i, got)
		}
	}
	if log, _ := os.ReadFile(errorLog); bytes.Contains(log, []byte("bind()")) {
		t.Errorf("strait bound a socket itself:\n%s", log)
	}
}

// TestSystemdSocketActivation passes a socket the way systemd does:
// LISTEN_FDS counts descriptors from 3 and LISTEN_PID names the process
// they are for (here set by a shell that then becomes strait).
func TestSystemdSocketActivation(t *testing.T) {
	sh := straittest.Tool(t, "sh")
	a := startEcho(t, "a")
	dir := t.TempDir()
	conf := filepath.Join(dir, "strait.conf")
	ln, listen := straittest.ListenAddr(t)
	writeConf(t, conf, confText(dir, listen, a, true))
	cmd := exec.Command(sh, "-c", `LISTEN_PID=$$ LISTEN_FDS=1 LISTEN_FDNAMES=strait exec "$0" -c "$1"`, straitBin, conf)
	runInheriting(t, cmd, "", ln)
	in := &instance{dir: dir, conf: conf, listen: listen}
	in.expect(t, "a")
	log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
	if !strings.Contains(string(log), `using inherited sockets from LISTEN_FDS="1"`) {
		t.Errorf("error.log:\n%s", log)
	}
}

// TestInvalidSTRAITIsReportedInNginxWords: a bad number stops the list
// where it is, as in nginx, and the start goes on, binding what it must.
func TestInvalidSTRAITIsReportedInNginxWords(t *testing.T) {
	a := startEcho(t, "a")
	dir := t.TempDir()
	conf := filepath.Join(dir, "strait.conf")
	ln, listen := straittest.ListenAddr(t)
	writeConf(t, conf, confText(dir, listen, a, true))
	cmd := exec.Command(straitBin, "-c", conf)
	cmd.Env = append(os.Environ(), "STRAIT=3;x;9;")
	stderr := runInheriting(t, cmd, "", ln)
	in := &instance{dir: dir, conf: conf, listen: listen}
	in.expect(t, "a")
	want := `strait: [emerg] invalid socket number "x;9;" in STRAIT environment variable, ignoring the rest of the variable`
	if !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
}
