// Package process tests the strait binary as an operator runs it: the
// nginx command line, daemon mode, pid file and signals (HUP reload, QUIT
// drain, TERM stop, USR1 log reopen), against real sockets on loopback.
package process

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/straittest"
)

var straitBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "strait-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	straitBin = filepath.Join(dir, "strait")
	build := exec.Command("go", "build", "-o", straitBin, "github.com/straitproxy/strait/cmd/strait")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building strait:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// startEcho runs a loopback server answering each line with
// "<name>: <line>" and returns its address.
func startEcho(t *testing.T, name string) string {
	t.Helper()
	return straittest.ServeTCP(t, func(c net.Conn) { echoLines(c, name) })
}

// echoLines answers each line read from c with "<name>: <line>".
func echoLines(c net.Conn, name string) {
	// Longer than ConnDeadline: sessions stay open across reloads and drains.
	c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	for i := 0; i < 1000; i++ {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		fmt.Fprintf(c, "%s: %s", name, line)
	}
}

// ask sends a line through addr and returns the answer line.
func ask(addr, msg string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "%s\n", msg)
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSpace(line), err
}

// eventually retries f until it succeeds or 10 s pass.
func eventually(t *testing.T, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var err error
	for time.Now().Before(deadline) {
		if err = f(); err == nil {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("%s: %v", what, err)
}

func readPID(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }
