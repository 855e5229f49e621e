package metrics

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// fetch GETs path from addr with keep-alives off, so that no idle
// connection outlives the test.
func fetch(addr net.Addr, path string) (string, error) {
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get("http://" + addr.String() + path)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return "", errors.New(resp.Status)
	}
	return string(b), err
}

// reachable reports whether the endpoint at addr answers /status.
func reachable(addr net.Addr) bool {
	_, err := fetch(addr, "/status")
	return err == nil
}

func newTestEndpoint(t *testing.T) *Endpoint {
	t.Helper()
	e := NewEndpoint(newTestService(sampleSnapshot()), nil)
	t.Cleanup(func() { e.Close() })
	return e
}

func TestEndpointServes(t *testing.T) {
	e := newTestEndpoint(t)
	if e.Addr() != nil {
		t.Fatalf("serving before Listen: %v", e.Addr())
	}
	if err := e.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	body, err := fetch(e.Addr(), "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body, "\nstrait_connections_accepted_total 7\n") {
		t.Errorf("metrics body lacks the accepted counter:\n%s", body)
	}
	if body, err = fetch(e.Addr(), "/status"); err != nil || !strings.Contains(body, `"accepted": 7`) {
		t.Errorf("status: %v\n%s", err, body)
	}
}

func TestEndpointRebind(t *testing.T) {
	e := newTestEndpoint(t)
	if err := e.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	first := e.Addr()

	// The same configured address is kept as is, socket and all.
	r, err := e.Prepare("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.Commit()
	if e.Addr().String() != first.String() || !reachable(first) {
		t.Fatalf("same address: now %v", e.Addr())
	}

	// A new address that is aborted (the reload failed) is released and
	// the old one keeps serving. (Another loopback address, so that the
	// configured text changes; port 0, so that no free port is guessed.)
	const other = "127.0.0.2:0"
	r, err = e.Prepare(other)
	if err != nil {
		t.Fatal(err)
	}
	aborted := r.next.ln.Addr()
	r.Abort()
	if e.Addr().String() != first.String() || !reachable(first) {
		t.Fatalf("after abort: now %v", e.Addr())
	}
	if c, err := net.Dial("tcp", aborted.String()); err == nil {
		c.Close()
		t.Fatalf("aborted address %s still accepts", aborted)
	}

	// A bind failure is reported and changes nothing.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	if _, err := e.Prepare(busy.Addr().String()); err == nil || err.Error() != "bind() to "+busy.Addr().String()+" failed (98: Address already in use) for status_listen" {
		t.Fatalf("binding a busy address: %v", err)
	}
	if !reachable(first) {
		t.Fatal("old address stopped after a failed bind")
	}

	// A committed move serves on the new address only.
	r, err = e.Prepare(other)
	if err != nil {
		t.Fatal(err)
	}
	r.Commit()
	moved := e.Addr()
	if moved == nil || !strings.HasPrefix(moved.String(), "127.0.0.2:") || !reachable(moved) {
		t.Fatalf("after move: now %v", moved)
	}
	if reachable(first) {
		t.Error("old address still serving after the move")
	}

	// Off stops serving.
	r, err = e.Prepare("")
	if err != nil {
		t.Fatal(err)
	}
	r.Commit()
	if e.Addr() != nil {
		t.Errorf("off: still serving on %v", e.Addr())
	}
	if _, err := fetch(moved, "/status"); err == nil {
		t.Error("address still answering after off")
	}
}

func TestEndpointClosed(t *testing.T) {
	e := newTestEndpoint(t)
	if err := e.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	addr := e.Addr()
	e.Close()
	if reachable(addr) {
		t.Error("serving after Close")
	}
	if _, err := e.Prepare("127.0.0.1:0"); !errors.Is(err, ErrEndpointClosed) {
		t.Errorf("Prepare after Close: %v", err)
	}
}
