//go:build linux

// Package proto_test checks that the self-made prototype engines (epoll,
// and uring in both its waiting modes) carry bytes correctly: many
// concurrent request/response sessions, 128 MiB both ways at once, and a
// half-closing client that still gets its reply. The library prototypes
// (gnet, nbio) open their own listeners and are checked by the bench.
package proto_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// engines are the prototypes under test: name, package, linker flags.
var engines = []struct{ name, pkg, ldflags string }{
	{"epoll", "./epoll", ""},
	{"uring-eventfd", "./uring", ""},
	{"uring-enter", "./uring", "-X=main.wait=enter"},
}

func TestEngines(t *testing.T) {
	up := startUpstream(t)
	dir := t.TempDir()
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			bin := filepath.Join(dir, e.name)
			build := exec.Command("go", "build", "-ldflags="+e.ldflags, "-o", bin, e.pkg)
			if out, err := build.CombinedOutput(); err != nil {
				t.Fatalf("build: %v\n%s", err, out)
			}
			addr := startEngine(t, bin, up)
			t.Run("concurrent", func(t *testing.T) { concurrent(t, addr) })
			t.Run("bulk-both-ways", func(t *testing.T) { bulkBothWays(t, addr) })
			t.Run("half-close", func(t *testing.T) { halfClose(t, addr) })
		})
	}
}

// startUpstream runs an echo server that, on EOF, writes "EOF\n" and
// closes.
func startUpstream(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if _, err := io.Copy(c, c); err == nil {
					io.WriteString(c, "EOF\n")
				}
			}()
		}
	}()
	return l.Addr().String()
}

// startEngine hands the engine a listener bound here, as descriptor 3.
func startEngine(t *testing.T, bin, upstream string) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f, err := l.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	defer f.Close()
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "-route", "fd:3="+upstream)
	cmd.ExtraFiles = []*os.File{f}
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if stderr.Len() > 0 {
			t.Errorf("engine printed: %s", stderr.String())
		}
	})
	return addr
}

func dial(t *testing.T, addr string) *net.TCPConn {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(60 * time.Second))
	return c.(*net.TCPConn)
}

// concurrent runs 50 sessions of 200 request/response round trips each.
func concurrent(t *testing.T, addr string) {
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := range 50 {
		wg.Go(func() {
			c := dial(t, addr)
			defer c.Close()
			buf := make([]byte, 64)
			for j := range 200 {
				msg := fmt.Appendf(nil, "client %d request %d", i, j)
				if _, err := c.Write(msg); err != nil {
					errs <- err
					return
				}
				if _, err := io.ReadFull(c, buf[:len(msg)]); err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(buf[:len(msg)], msg) {
					errs <- fmt.Errorf("client %d got %q, want %q", i, buf[:len(msg)], msg)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// bulkBothWays sends 128 MiB while reading the echo at the same time and
// checks every byte.
func bulkBothWays(t *testing.T, addr string) {
	const total = 128 << 20
	c := dial(t, addr)
	defer c.Close()
	pattern := func(off int, b []byte) {
		for i := range b {
			b[i] = byte((off + i) * 131 >> 3)
		}
	}
	werr := make(chan error, 1)
	go func() {
		b := make([]byte, 256<<10)
		for off := 0; off < total; off += len(b) {
			pattern(off, b)
			if _, err := c.Write(b); err != nil {
				werr <- err
				return
			}
		}
		werr <- c.CloseWrite()
	}()
	got, want := make([]byte, 64<<10), make([]byte, 64<<10)
	for off := 0; off < total; {
		n, err := c.Read(got[:min(len(got), total-off)])
		if err != nil {
			t.Fatalf("read at %d: %v", off, err)
		}
		pattern(off, want[:n])
		if !bytes.Equal(got[:n], want[:n]) {
			t.Fatalf("bytes differ in [%d, %d)", off, off+n)
		}
		off += n
	}
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(c)
	if err != nil || string(rest) != "EOF\n" {
		t.Fatalf("after the echo: %q, %v; want the upstream's EOF reply", rest, err)
	}
}

// halfClose: the client's FIN reaches the upstream, and the upstream's
// reply still reaches the client.
func halfClose(t *testing.T, addr string) {
	c := dial(t, addr)
	defer c.Close()
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(c)
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	if string(got) != "helloEOF\n" {
		t.Fatalf("got %q, want %q", got, "helloEOF\n")
	}
}
