package server

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/straitproxy/strait/internal/straittest"
)

const nginxStreamModule = "/usr/lib/nginx/modules/ngx_stream_module.so"

// varsConfig is one stream block for both nginx and strait: many
// variables, a map chain, captures, a volatile map and a map read early
// by limit_conn. {{listen1}}, {{listen2}}, {{upstream}} and {{dir}} are
// filled in.
const varsConfig = `
events {} stream {
    map $upstream_addr $early { default "early<$upstream_addr>"; }
    map $upstream_addr $late {
        ~:(?<upport>\d+)$  "port-$upport";
        default            "no-port";
    }
    map $late $chain { ~^port- "chained-$1$late"; default "chained-default"; }
    map $upstream_addr $live { volatile; default "live<$upstream_addr>"; }
    map $remote_addr $client { hostnames; LOCALHOST. named; 127.0.0.1 loopback; default other; }
    map $server_port $sp { ~^(\d)(\d) "$2$1"; }
    map $protocol $proto { tcp lower; default upper; }
    limit_conn_zone $early$live zone=z:1m;
    log_format vars '$remote_addr|$server_addr|$protocol|$status|$bytes_sent|$bytes_received|'
                    '$upstream_addr|$upstream_bytes_sent|$upstream_bytes_received|'
                    '$early|$live|$late|$upport|$chain|$client|$proto|$binary_remote_addr|'
                    '$proxy_protocol_addr|$proxy_protocol_port|$Remote_Addr|${status}x|'
                    '$upstream_connect_time|$upstream_first_byte_time|$upstream_session_time|'
                    '$session_time|$msec|$time_iso8601|$time_local|$connection|$pid|$hostname|'
                    '$remote_port|$server_port|$sp';
    access_log {{dir}}/access.log vars;
    upstream dead { server 127.0.0.1:1 down; }
    server { listen {{listen1}}; limit_conn z 10; proxy_pass {{upstream}}; }
    server { listen {{listen2}}; limit_conn z 10; proxy_pass dead; }
}
`

// varsFieldShapes says how each field compares: "=" must equal nginx's,
// any other text is a regex both must match (values that depend on time,
// ports, process or host).
var varsFieldShapes = append(strings.Split(strings.Repeat("=", 21), ""),
	`^(-|\d+\.\d{3})$`, `^(-|\d+\.\d{3})$`, `^\d+\.\d{3}$`, `^\d+\.\d{3}$`, `^\d+\.\d{3}$`,
	`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$`, `^\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}$`,
	`^\d+$`, `^\d+$`, `^\S+$`, `^\d+$`, `^\d+$`, `^\d\d$`)

// TestVariablesAgreeWithNginx runs the same sessions through nginx and
// strait with varsConfig and compares the access-log lines field by field.
func TestVariablesAgreeWithNginx(t *testing.T) {
	nginx := straittest.Tool(t, "/usr/sbin/nginx")
	if _, err := os.Stat(nginxStreamModule); err != nil {
		t.Fatalf("nginx is installed without its stream module: %v", err)
	}
	up := straittest.ServeTCP(t, straittest.Echo)
	fill := func(dir, text string, p1, p2 string) string {
		return strings.NewReplacer("{{dir}}", dir, "{{upstream}}", up,
			"{{listen1}}", "127.0.0.1:"+p1, "{{listen2}}", "127.0.0.1:"+p2).Replace(text)
	}
	run := func(p1, p2, logPath string) {
		echoSession(t, "127.0.0.1:"+p1, "hello")
		waitFor(t, "the first record", func() bool { return strings.Count(readFile(t, logPath), "\n") == 1 })
		roundTrip(t, "127.0.0.1:"+p2, "x")
		waitFor(t, "the second record", func() bool { return strings.Count(readFile(t, logPath), "\n") == 2 })
	}

	ngxDir := t.TempDir()
	nln1, n1 := listenPort(t)
	nln2, n2 := listenPort(t)
	text := "load_module " + nginxStreamModule + ";\n" + fill(ngxDir, varsConfig, n1, n2)
	stderr := startNginx(t, nginx, ngxDir, text, nln1, nln2)
	waitFor(t, "nginx to listen", func() bool {
		c, err := net.Dial("tcp", "127.0.0.1:"+n1)
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
	ngxLog := filepath.Join(ngxDir, "access.log")
	// The readiness probe is a session too: start the log afresh.
	waitFor(t, "the probe's record", func() bool { return strings.Count(readFile(t, ngxLog), "\n") == 1 })
	if err := os.Truncate(ngxLog, 0); err != nil {
		t.Fatal(err)
	}
	run(n1, n2, ngxLog)

	stDir := t.TempDir()
	sln1, s1 := listenPort(t)
	sln2, s2 := listenPort(t)
	startServer(t, mustConfig(t, stDir, fill(stDir, varsConfig, s1, s2)), sln1, sln2)
	stLog := filepath.Join(stDir, "access.log")
	run(s1, s2, stLog)

	ngxLines := strings.Split(strings.TrimSpace(readFile(t, ngxLog)), "\n")
	stLines := strings.Split(strings.TrimSpace(readFile(t, stLog)), "\n")
	names := regexp.MustCompile(`\$\{?(\w+)`).FindAllStringSubmatch(strings.Split(varsConfig, "log_format vars")[1], -1)
	for i := range ngxLines {
		nf, sf := strings.Split(ngxLines[i], "|"), strings.Split(stLines[i], "|")
		if len(nf) != len(varsFieldShapes) || len(sf) != len(nf) {
			t.Fatalf("line %d: %d and %d fields, want %d\nnginx:  %s\nstrait: %s", i, len(nf), len(sf), len(varsFieldShapes), ngxLines[i], stLines[i])
		}
		for j, shape := range varsFieldShapes {
			name := names[j][1]
			switch {
			case shape == "=" && nf[j] != sf[j]:
				t.Errorf("line %d $%s: nginx %q, strait %q", i, name, nf[j], sf[j])
			case shape != "=":
				re := regexp.MustCompile(shape)
				if !re.MatchString(nf[j]) || !re.MatchString(sf[j]) {
					t.Errorf("line %d $%s: nginx %q, strait %q, want %s", i, name, nf[j], sf[j], shape)
				}
			}
		}
		// $sp swaps the first two digits of each one's own port.
		for _, f := range [][]string{nf, sf} {
			port, sp := f[len(f)-2], f[len(f)-1]
			if sp != port[1:2]+port[:1] {
				t.Errorf("line %d: $sp %q for port %s", i, sp, port)
			}
		}
	}
	if t.Failed() {
		t.Logf("nginx:\n%s\nstrait:\n%s\nnginx stderr:\n%s", strings.Join(ngxLines, "\n"), strings.Join(stLines, "\n"), stderr.String())
	}
}
