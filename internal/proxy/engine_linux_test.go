package proxy

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// socketPair returns two connected, non-blocking stream sockets, closed
// when the test ends unless the caller closed them.
func socketPair(t *testing.T) (int, int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	return fds[0], fds[1]
}

// A cancel can reach a loop before the session it cancels: the context's
// AfterFunc posts from a goroutine of its own, racing the add. The
// session must end once added, not run on until its peers hang up.
func TestLoopCancelBeforeAdd(t *testing.T) {
	e, err := NewEngine(1)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	cLoop, cPeer := socketPair(t)
	uLoop, uPeer := socketPair(t)
	defer unix.Close(cPeer)
	defer unix.Close(uPeer)
	p := &pipeState{bufSize: 16 << 10, pipes: NewPipePool(0, nil)}
	l := e.loops[0]
	s := &esession{fds: [2]int{cLoop, uLoop}, p: p, loop: l, slot: -1, done: make(chan struct{})}
	s.dirs[sideClient] = edir{f: &flow{}, writable: true}
	s.dirs[sideUpstream] = edir{f: &flow{fromUp: true}, writable: true}
	l.post(loopReq{kind: reqCancel, s: s})
	l.post(loopReq{kind: reqAdd, s: s})
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		t.Fatal("a session cancelled before its loop took it still runs after 5s")
	}
	if s.why != endCancel {
		t.Errorf("session ended with %d, want endCancel (%d)", s.why, endCancel)
	}
	// The loop closed its sockets: both peers read EOF.
	for _, fd := range []int{cPeer, uPeer} {
		var b [1]byte
		n, err := unix.Read(fd, b[:])
		if n != 0 || err != nil {
			t.Errorf("peer read = %d, %v; want EOF", n, err)
		}
	}
}
