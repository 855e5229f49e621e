package process

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/straittest"
)

func statusConf(dir, listen, upstream, status string) string {
	return fmt.Sprintf(`daemon off;
pid %[1]s/strait.pid;
error_log %[1]s/error.log info;
status_listen %[4]s;
events {} stream {
    server {
        listen %[2]s;
        proxy_pass %[3]s;
    }
}
`, dir, listen, upstream, status)
}

// scrape GETs path from the status endpoint at addr.
func scrape(addr, path string) (string, error) {
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get("http://" + addr + path)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return string(b), err
}

// metricLine waits until the metrics at addr contain line.
func metricLine(t *testing.T, addr, line string) {
	t.Helper()
	eventually(t, "metric "+line, func() error {
		body, err := scrape(addr, "/metrics")
		if err != nil {
			return err
		}
		if !strings.Contains(body, "\n"+line+"\n") {
			return fmt.Errorf("no %q in\n%s", line, body)
		}
		return nil
	})
}

// statusAddr waits until the error log in dir has said n times where the
// status endpoint listens ("status_listen on ADDR", logged when port 0
// had the system pick the port) and returns the n-th address.
func statusAddr(t *testing.T, dir string, n int) string {
	t.Helper()
	const marker = "status_listen on "
	var addr string
	eventually(t, fmt.Sprintf("status address #%d in error.log", n), func() error {
		b, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		parts := strings.Split(string(b), marker)
		if len(parts) <= n {
			return fmt.Errorf("error.log:\n%s", b)
		}
		addr, _, _ = strings.Cut(parts[n], "\n")
		return nil
	})
	return addr
}

func TestStatusEndpoint(t *testing.T) {
	a := startEcho(t, "a")
	dir := t.TempDir()
	conf := filepath.Join(dir, "strait.conf")
	ln, listen := straittest.ListenAddr(t)
	writeConf(t, conf, statusConf(dir, listen, a, "127.0.0.1:0"))
	stderr := &bytes.Buffer{}
	cmd := exec.Command(straitBin, "-c", conf)
	cmd.Stderr = stderr
	release := straittest.PassListeners(t, cmd, "STRAIT", ln)
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
	})
	status := statusAddr(t, dir, 1)
	eventually(t, "proxying", func() error {
		got, err := ask(listen, "ping")
		if err == nil && got != "a: ping" {
			err = fmt.Errorf("got %q", got)
		}
		return err
	})
	metricLine(t, status, `strait_sessions_total{status="200"} 1`)
	metricLine(t, status, fmt.Sprintf(`strait_upstream_attempts_total{peer=%q,result="ok",upstream=%q} 1`, a, a))
	metricLine(t, status, `strait_bytes_total{direction="from_client"} 5`)
	metricLine(t, status, `strait_bytes_total{direction="to_client"} 8`)
	body, err := scrape(status, "/status")
	if err != nil || !strings.Contains(body, `"config_file": "`+conf+`"`) || !strings.Contains(body, `"address": "`+a+`"`) {
		t.Errorf("/status: %v\n%s", err, body)
	}

	// A reload onto an address that is taken fails and keeps the endpoint
	// where it was.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	writeConf(t, conf, statusConf(dir, listen, a, busy.Addr().String()))
	cmd.Process.Signal(syscall.SIGHUP)
	metricLine(t, status, `strait_config_reloads_total{result="failure"} 1`)
	want := "bind() to " + busy.Addr().String() + " failed (98: Address already in use) for status_listen"
	if b, _ := os.ReadFile(filepath.Join(dir, "error.log")); !strings.Contains(string(b), want) {
		t.Errorf("error.log lacks %q:\n%s", want, b)
	}

	// A successful reload moves the endpoint (another address of the
	// loopback network, for the configured address to change).
	writeConf(t, conf, statusConf(dir, listen, a, "127.0.0.2:0"))
	cmd.Process.Signal(syscall.SIGHUP)
	moved := statusAddr(t, dir, 2)
	if !strings.HasPrefix(moved, "127.0.0.2:") {
		t.Fatalf("moved to %s, want 127.0.0.2", moved)
	}
	metricLine(t, moved, `strait_config_reloads_total{result="success"} 1`)
	metricLine(t, moved, `strait_config_reloads_total{result="failure"} 1`)
	if _, err := scrape(status, "/metrics"); err == nil {
		t.Errorf("the old status address still answers after the move")
	}
}

func TestStatusListenWarning(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "strait.conf")
	writeConf(t, conf, statusConf(dir, "127.0.0.1:1", "127.0.0.1:2", "*:9145"))
	out, err := exec.Command(straitBin, "-t", "-c", conf).CombinedOutput()
	want := "strait: [warn] the status endpoint on 0.0.0.0:9145 is not on a loopback address and has no authentication in " + conf + ":4"
	if err != nil || !strings.Contains(string(out), want) || !strings.Contains(string(out), "test is successful") {
		t.Errorf("-t: %v\n%s\nwant %s", err, out, want)
	}
	writeConf(t, conf, statusConf(dir, "127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:9145"))
	if out, err := exec.Command(straitBin, "-t", "-c", conf).CombinedOutput(); err != nil || strings.Contains(string(out), "[warn]") {
		t.Errorf("-t with a loopback status_listen: %v\n%s", err, out)
	}
}
