package process

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestSystemdNotify runs strait as a Type=notify unit would: with
// NOTIFY_SOCKET naming a socket the test bound, it must say READY=1 once
// its pid file is written, RELOADING=1 then READY=1 around every reload
// (also a failed one) and STOPPING=1 when told to stop.
func TestSystemdNotify(t *testing.T) {
	dir := t.TempDir()
	sock, read := notifySocket(t, dir)

	pidFile := filepath.Join(dir, "strait.pid")
	conf := filepath.Join(dir, "strait.conf")
	good := "pid " + pidFile + ";\nerror_log " + filepath.Join(dir, "error.log") + " info;\nevents {} stream {\n}\n"
	writeConf(t, conf, good)
	cmd := exec.Command(straitBin, "-c", conf, "-g", "daemon off;")
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+sock)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		cmd.Process.Kill()
		<-done
	}()

	if got := read(); got != "READY=1\nSTATUS=serving\n" {
		t.Fatalf("first notification %q, want READY=1 (stderr: %s)", got, stderr.String())
	}
	if pid := readPID(t, pidFile); pid != cmd.Process.Pid {
		t.Fatalf("pid file says %d at READY=1, want %d", pid, cmd.Process.Pid)
	}

	reload := func(wantStatus string) {
		t.Helper()
		if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(read(), "\n")
		if len(lines) < 2 || lines[0] != "RELOADING=1" || !strings.HasPrefix(lines[1], "MONOTONIC_USEC=") {
			t.Fatalf("on HUP got %q, want RELOADING=1 with MONOTONIC_USEC=", lines)
		}
		if _, err := strconv.ParseUint(strings.TrimPrefix(lines[1], "MONOTONIC_USEC="), 10, 64); err != nil {
			t.Fatalf("MONOTONIC_USEC: %v", err)
		}
		if got, want := read(), "READY=1\n"+wantStatus+"\n"; got != want {
			t.Fatalf("after reload got %q, want %q", got, want)
		}
	}
	reload("STATUS=serving")
	writeConf(t, conf, "events {} stream {\n    unknown_directive;\n}\n")
	reload("STATUS=serving; the last reload failed, still running the previous configuration")

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if got := read(); got != "STOPPING=1\n" {
		t.Fatalf("on TERM got %q, want STOPPING=1", got)
	}
	if err := <-done; err != nil {
		t.Fatalf("strait exited with %v (stderr: %s)", err, stderr.String())
	}
	done <- nil // for the deferred kill
}
