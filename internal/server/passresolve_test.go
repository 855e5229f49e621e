package server

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/straitproxy/strait/internal/straittest"
)

// serveDNS answers A queries for name with 127.0.0.1 (TTL 300), AAAA
// queries for it with no records, and others with NXDOMAIN, on a
// loopback UDP socket; it counts the A queries for name.
func serveDNS(t *testing.T, name string, queries *atomic.Int32) string {
	t.Helper()
	return straittest.ServeUDP(t, func(q []byte) []byte { return dnsReply(q, name, queries) })
}

// dnsReply builds the answer to one query (a single question).
func dnsReply(q []byte, name string, queries *atomic.Int32) []byte {
	if len(q) < 12 {
		return nil
	}
	var labels []string
	i := 12
	for i < len(q) && q[i] != 0 {
		l := int(q[i])
		if i+1+l > len(q) {
			return nil
		}
		labels = append(labels, string(q[i+1:i+1+l]))
		i += 1 + l
	}
	if i+5 > len(q) {
		return nil
	}
	qtype := binary.BigEndian.Uint16(q[i+1:])
	r := append([]byte(nil), q[:i+5]...)
	r[2], r[3] = 0x81, 0x80
	got := strings.ToLower(strings.Join(labels, "."))
	switch {
	case got != name:
		r[3] |= 3 // NXDOMAIN
	case qtype == 1:
		queries.Add(1)
		binary.BigEndian.PutUint16(r[6:], 1)
		r = append(r, 0xc0, 12, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 127, 0, 0, 1)
	}
	return r
}

// TestProxyPassHostNameResolvedPerSession: a proxy_pass value naming a
// host is resolved through the resolver directive's servers, the answer
// is kept for its TTL, a name that does not exist ends the session with
// 500 and nginx's words, and without a resolver with 502.
func TestProxyPassHostNameResolvedPerSession(t *testing.T) {
	dir := t.TempDir()
	var queries atomic.Int32
	dns := serveDNS(t, "backend.test", &queries)
	up := straittest.ServeTCP(t, func(c net.Conn) {
		defer c.Close()
		io.Copy(c, c)
	})
	_, upPort, _ := net.SplitHostPort(up)
	lnOK, pOK := listenPort(t)
	lnNX, pNX := listenPort(t)
	ts := startServer(t, mustConfig(t, dir, fmt.Sprintf(`
events {} stream {
    resolver %s;
    resolver_timeout 5s;
    log_format up '$server_port $status $upstream_addr';
    access_log {{dir}}/up.log up;
    server { listen 127.0.0.1:%s; set $t Backend.test:%s; proxy_pass $t; }
    server { listen 127.0.0.1:%s; set $t nowhere.test:%s; proxy_pass $t; }
}`, dns, pOK, upPort, pNX, upPort)), lnOK, lnNX)

	echoSession(t, "127.0.0.1:"+pOK, "one")
	echoSession(t, "127.0.0.1:"+pOK, "two")
	if got := roundTrip(t, "127.0.0.1:"+pNX, "x"); got != "" {
		t.Errorf("nowhere answered %q", got)
	}
	logPath := filepath.Join(dir, "up.log")
	waitFor(t, "three access lines", func() bool { return strings.Count(readFile(t, logPath), "\n") == 3 })
	text := readFile(t, logPath)
	for _, w := range []string{pOK + " 200 127.0.0.1:" + upPort + "\n", pNX + " 500 -\n"} {
		if !strings.Contains(text, w) {
			t.Errorf("access log lacks %q:\n%s", w, text)
		}
	}
	if n := strings.Count(text, pOK+" 200 "); n != 2 {
		t.Errorf("%d sessions through the name:\n%s", n, text)
	}
	if n := queries.Load(); n != 1 {
		t.Errorf("%d A queries for two sessions within the TTL", n)
	}
	if w := "nowhere.test could not be resolved (3: Host not found)"; !strings.Contains(ts.log.String(), w) {
		t.Errorf("log lacks %q:\n%s", w, ts.log.String())
	}
}
