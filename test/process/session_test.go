package process

import (
	"bufio"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// session is one long-lived client connection through strait.
type session struct {
	c net.Conn
	r *bufio.Reader
}

func dialSession(t *testing.T, addr string) *session {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &session{c: c, r: bufio.NewReader(c)}
}

func (s *session) ask(t *testing.T, msg string) string {
	t.Helper()
	s.c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(s.c, "%s\n", msg)
	line, err := s.r.ReadString('\n')
	if err != nil {
		t.Fatalf("session %q: %v", msg, err)
	}
	return strings.TrimSpace(line)
}

func (s *session) close() { s.c.Close() }
