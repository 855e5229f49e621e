package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/straittest"
)

// unixSession connects to a unix socket listener, sends what, and reads
// until strait closes.
func unixSession(t *testing.T, sock, what string) string {
	t.Helper()
	c, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(straittest.ConnDeadline))
	if what != "" {
		if _, err := io.WriteString(c, what); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := io.ReadAll(c)
	return string(b)
}

// set, return and realip through real sessions: the PROXY header's
// address of a trusted client is the one allow/deny, set, limit_conn
// keys, geo and the access log see; an untrusted client keeps its own.
func TestRealIPSetReturnInSessions(t *testing.T) {
	dir := t.TempDir()
	trustedSock, untrustedSock := filepath.Join(dir, "t.sock"), filepath.Join(dir, "u.sock")
	ts := startServer(t, mustConfig(t, dir, fmt.Sprintf(`
events {} stream {
    log_format l '$status $remote_addr $realip_remote_addr $bytes_sent $who';
    geo $where { default far; 10.0.0.0/8 ten; 2001:db8::/32 doc; }
    limit_conn_zone $who zone=per:1m;
    server {
        listen unix:%s proxy_protocol;
        set_real_ip_from unix:;
        deny 10.9.0.0/16;
        set $who "<$remote_addr:$remote_port>";
        set $who "$who $where";
        limit_conn per 1;
        access_log {{dir}}/access.log l;
        return "$who|$realip_remote_addr|$realip_remote_port|$proxy_protocol_addr\n";
    }
    server {
        listen unix:%s proxy_protocol;
        set_real_ip_from 127.0.0.1;
        return "$remote_addr $where\n";
    }
}`, trustedSock, untrustedSock)))
	for _, tc := range []struct {
		sock, header, want string
	}{
		{trustedSock, "PROXY TCP4 10.1.2.3 127.0.0.1 5000 80\r\n", "<10.1.2.3:5000> ten|unix:||10.1.2.3\n"},
		{trustedSock, "PROXY TCP6 2001:db8::1 ::1 6000 80\r\n", "<2001:db8::1:6000> doc|unix:||2001:db8::1\n"},
		{trustedSock, "PROXY TCP4 10.9.1.1 127.0.0.1 5000 80\r\n", ""}, // denied by its real address
		{trustedSock, "PROXY UNKNOWN\r\n", "<unix::> far|unix:||\n"},
		{untrustedSock, "PROXY TCP4 10.1.2.3 127.0.0.1 5000 80\r\n", "unix: far\n"},
	} {
		if got := unixSession(t, tc.sock, tc.header); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.header, got, tc.want)
		}
	}
	lines := waitForFileLines(t, filepath.Join(dir, "access.log"), 4)
	want := []string{
		"200 10.1.2.3 unix: 36 <10.1.2.3:5000> ten",
		"200 2001:db8::1 unix: 42 <2001:db8::1:6000> doc",
		"403 10.9.1.1 unix: 0 <10.9.1.1:5000> ten",
		"200 unix: unix: 21 <unix::> far",
	}
	// A record is written once its session has closed on strait's side,
	// which may come after the client's next session began: compare the
	// records, not their order.
	slices.Sort(lines)
	slices.Sort(want)
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("access log:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if log := ts.log.String(); !strings.Contains(log, "access forbidden by rule, client: 10.9.1.1, server: unix:") {
		t.Errorf("the refusal names the real client:\n%s", log)
	}
}

func waitForFileLines(t *testing.T, path string, n int) []string {
	t.Helper()
	var text string
	waitFor(t, fmt.Sprintf("%d lines in %s", n, path), func() bool {
		text = readFile(t, path)
		return strings.Count(text, "\n") >= n
	})
	return strings.Split(strings.TrimSuffix(text, "\n"), "\n")
}

// The PROXY header strait sends upstream names the real client, as
// nginx's does after realip; and of proxy_pass and return the last one
// given serves the block. The first listener is TCP: a PROXY header
// cannot name a TCP client together with a unix server address.
func TestRealIPReachesUpstreamAndLastHandlerWins(t *testing.T) {
	dir := t.TempDir()
	ln, port := listenPort(t)
	addr, retSock := "127.0.0.1:"+port, filepath.Join(dir, "r.sock")
	up := straittest.ServeTCP(t, func(c net.Conn) {
		line, _ := bufio.NewReader(c).ReadString('\n')
		io.WriteString(c, "upstream got "+line)
	})
	startServer(t, mustConfig(t, dir, fmt.Sprintf(`
events {} stream {
    set_real_ip_from 127.0.0.0/8;
    server { listen %s proxy_protocol; return "never"; proxy_pass %s; proxy_protocol on; }
    server { listen unix:%s; proxy_pass %s; return "returned"; }
}`, addr, up, retSock, up)), ln)
	c := straittest.Dial(t, addr)
	io.WriteString(c, "PROXY TCP4 192.0.2.7 127.0.0.1 4242 80\r\n")
	b, _ := io.ReadAll(c)
	got := string(b)
	if !strings.HasPrefix(got, "upstream got PROXY TCP4 192.0.2.7 ") || !strings.Contains(got, " 4242 ") {
		t.Errorf("upstream saw %q", got)
	}
	if got := unixSession(t, retSock, ""); got != "returned" {
		t.Errorf("return after proxy_pass: %q", got)
	}
}
