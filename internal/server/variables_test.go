package server

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/straitproxy/strait/internal/straittest"
)

// TestUnknownVariableIsAConfigError checks every consumer of variables:
// an unknown name fails the configuration with nginx's words and the
// position of the directive that names it, both for -t and at start.
func TestUnknownVariableIsAConfigError(t *testing.T) {
	const server = `server { listen 127.0.0.1:1; proxy_pass 127.0.0.1:2; %s }`
	for _, tt := range []struct {
		name, stream, srv string
		line              int
	}{
		{"log_format", "log_format f '$remote_addr'\n    ' $nope';", "", 3},
		{"map source", "map $nope $x {\n default 1; }", "", 2},
		{"map value", "map $remote_addr $x {\n a 1;\n b $nope; }", "", 4},
		{"map default", "map $remote_addr $x {\n\n default $nope; }", "", 4},
		{"map regex value", "map $remote_addr $x {\n ~^a(.) $1$nope; }", "", 3},
		{"limit_conn_zone key", "limit_conn_zone $remote_addr$nope zone=z:1m;", "limit_conn z 1;", 2},
		{"access_log if=", "log_format f x;", "access_log {{dir}}/a.log f if=$nope;", 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			text := "events {} stream {\n    " + tt.stream + "\n    " + fmt.Sprintf(server, tt.srv) + "\n}\n"
			cfg := mustConfig(t, dir, text)
			want := fmt.Sprintf(`unknown "nope" variable in %s:%d`, filepath.Join(dir, "nginx.conf"), tt.line)
			if err := CheckVariables(cfg); err == nil || err.Error() != want {
				t.Errorf("CheckVariables: %v\nwant %s", err, want)
			}
			if err := Check(cfg, Options{}); err == nil || err.Error() != want {
				t.Errorf("Check: %v\nwant %s", err, want)
			}
		})
	}
}

// TestMapOfUpstreamAddrThroughSessions runs real sessions through maps of
// $upstream_addr: a cached map read early by limit_conn keeps the value it
// had before the connect, as in nginx; a volatile one and a map first read
// by the access log show the attempts made.
func TestMapOfUpstreamAddrThroughSessions(t *testing.T) {
	dir := t.TempDir()
	up := straittest.ServeTCP(t, straittest.Echo)
	lnOK, pOK := listenPort(t)
	ln502, p502 := listenPort(t)
	cfg := mustConfig(t, dir, fmt.Sprintf(`
events {} stream {
    map $upstream_addr $early { default "early<$upstream_addr>"; }
    map $upstream_addr $late {
        ~:(?<upport>\d+)$  "port-$upport";
        default            "no-port";
    }
    map $late $chain { ~^port- "chained-$1$late"; default "chained-default"; }
    map $upstream_addr $live { volatile; default "live<$upstream_addr>"; }
    limit_conn_zone $early$live zone=z:1m;
    log_format vars '$early|$live|$late|$upport|$chain|$status';
    access_log {{dir}}/access.log vars;
    upstream dead { server 127.0.0.1:1 down; }
    server { listen 127.0.0.1:%s; limit_conn z 10; proxy_pass %s; }
    server { listen 127.0.0.1:%s; limit_conn z 10; proxy_pass dead; }
}`, pOK, up, p502))
	startServer(t, cfg, lnOK, ln502)
	logPath := filepath.Join(dir, "access.log")
	echoSession(t, "127.0.0.1:"+pOK, "hello")
	waitFor(t, "the first record", func() bool { return strings.Count(readFile(t, logPath), "\n") == 1 })
	roundTrip(t, "127.0.0.1:"+p502, "x")
	waitFor(t, "the second record", func() bool { return strings.Count(readFile(t, logPath), "\n") == 2 })

	_, upPort, _ := strings.Cut(up, ":")
	want := []string{
		"early<>|live<" + up + ">|port-" + upPort + "|" + upPort + "|chained-port-" + upPort + "|200",
		"early<>|live<dead>|no-port|-|chained-default|502",
	}
	lines := strings.Split(strings.TrimSpace(readFile(t, logPath)), "\n")
	for i, w := range want {
		if i >= len(lines) || lines[i] != w {
			t.Errorf("line %d:\n got %q\nwant %q", i, lines[i], w)
		}
	}
	if !regexp.MustCompile(`^\d+$`).MatchString(upPort) {
		t.Fatalf("upstream port %q", upPort)
	}
}
