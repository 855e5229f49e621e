package process

import (
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/straittest"
)

// TestSTRAITPassesUDPSockets hands the strait binary a UDP socket the
// test bound, as nginx takes one from its NGINX variable: the
// "listen ... udp" naming its address serves it, and a datagram comes
// back through the upstream.
func TestSTRAITPassesUDPSockets(t *testing.T) {
	up, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer up.Close()
	go func() {
		b := make([]byte, 512)
		for {
			n, from, err := up.ReadFromUDPAddrPort(b)
			if err != nil {
				return
			}
			up.WriteToUDPAddrPort(append([]byte("up: "), b[:n]...), from)
		}
	}()
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	listen := pc.LocalAddr().String()
	dir := t.TempDir()
	conf := filepath.Join(dir, "strait.conf")
	writeConf(t, conf, `daemon off;
pid `+filepath.Join(dir, "strait.pid")+`;
error_log `+filepath.Join(dir, "error.log")+` info;
stream { server { listen `+listen+` udp; proxy_responses 1; proxy_pass `+up.LocalAddr().String()+`; } }
`)
	cmd := exec.Command(straitBin, "-c", conf)
	stderr := &straittest.LockedBuffer{}
	cmd.Stderr = stderr
	release := straittest.PassSockets(t, cmd, "STRAIT", []io.Closer{pc}...)
	err = cmd.Start()
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
	c, err := net.Dial("udp", listen)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The socket was bound before strait started: the kernel queues
	// the datagram until strait reads it, so one is enough.
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	b := make([]byte, 512)
	n, err := c.Read(b)
	if err != nil {
		t.Fatalf("no answer through the inherited UDP socket: %v", err)
	}
	if got := string(b[:n]); got != "up: ping" {
		t.Errorf("answer %q, want %q", got, "up: ping")
	}
}
