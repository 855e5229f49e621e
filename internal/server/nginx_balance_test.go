package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/straittest"
)

// balanceConfig proxies, from unix sockets taking a PROXY header (so the
// test chooses $remote_addr), to upstream groups of the same four
// servers, one group per method under test. {{a}}..{{d}} are the
// servers' addresses, {{dir}} where the sockets go.
const balanceConfig = `
stream {
    set_real_ip_from unix:;
    map $remote_addr $net16 {
        ~^(?<first>\d+)\.(?<second>\d+)\.  "$first.$second";
        default                            "v6:$remote_addr";
    }
    upstream modulo {
        hash $remote_addr;
        server {{a}};
        server {{b}} weight=3;
        server {{c}} down;
        server {{d}} weight=2;
    }
    upstream ketama {
        hash $remote_addr consistent;
        server {{a}};
        server {{b}} weight=2;
        server {{c}};
        server {{d}} down;
    }
    upstream bymap {
        hash "$net16-$remote_port" consistent;
        server {{a}};
        server {{b}};
        server {{c}};
        server {{d}};
    }
    upstream fewest {
        least_conn;
        server {{a}} weight=3;
        server {{b}};
        server {{c}} weight=2;
        server {{d}} down;
    }
    server { listen unix:{{dir}}/modulo.sock proxy_protocol; proxy_pass modulo; }
    server { listen unix:{{dir}}/ketama.sock proxy_protocol; proxy_pass ketama; }
    server { listen unix:{{dir}}/bymap.sock  proxy_protocol; proxy_pass bymap; }
    server { listen unix:{{dir}}/fewest.sock proxy_protocol; proxy_pass fewest; }
}
`

// nameServers starts four upstreams that answer every connection with
// their own name and hold it until the client closes. The returned
// replacer fills balanceConfig.
func nameServers(t *testing.T) *strings.Replacer {
	var pairs []string
	for _, name := range []string{"a", "b", "c", "d"} {
		addr := straittest.ServeTCP(t, func(c net.Conn) {
			io.WriteString(c, name+"\n")
			io.Copy(io.Discard, c)
		})
		pairs = append(pairs, "{{"+name+"}}", addr)
	}
	return strings.NewReplacer(pairs...)
}

// askNames sends one session per key (address and port for the PROXY
// header) to sock, a few at a time, and returns which upstream answered.
func askNames(t *testing.T, sock string, keys []string) []string {
	t.Helper()
	out := make([]string, len(keys))
	var wg sync.WaitGroup
	next := make(chan int)
	var mu sync.Mutex
	var firstErr error
	for range 8 {
		wg.Go(func() {
			for i := range next {
				c, name, err := openNamed(sock, keys[i])
				if c != nil {
					c.Close()
				}
				if err != nil {
					mu.Lock()
					firstErr = cmpErr(firstErr, fmt.Errorf("%s: %w", keys[i], err))
					mu.Unlock()
				}
				out[i] = name
			}
		})
	}
	for i := range keys {
		next <- i
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		t.Fatal(firstErr)
	}
	return out
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// openNamed opens a session with a PROXY header for key and reads the
// name of the upstream that answers; the session stays open.
func openNamed(sock, key string) (net.Conn, string, error) {
	addr, port, _ := strings.Cut(key, " ")
	family, dst := "TCP4", "127.0.0.1"
	if strings.Contains(addr, ":") {
		family, dst = "TCP6", "::1"
	}
	c, err := net.Dial("unix", sock)
	if err != nil {
		return nil, "", err
	}
	c.SetDeadline(time.Now().Add(straittest.ConnDeadline))
	fmt.Fprintf(c, "PROXY %s %s %s %s 80\r\n", family, addr, dst, port)
	line, err := bufio.NewReader(c).ReadString('\n')
	return c, strings.TrimSpace(line), err
}

// holdSessions opens n sessions one after the other, each once the one
// before has its upstream, and keeps them open: least_conn then sees
// every earlier session as active, so its choices are deterministic.
func holdSessions(t *testing.T, sock string, n int) []string {
	t.Helper()
	var names []string
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range n {
		c, name, err := openNamed(sock, fmt.Sprintf("10.9.0.%d %d", i, 1000+i))
		if c != nil {
			conns = append(conns, c)
		}
		if err != nil {
			t.Fatalf("held session %d: %v", i, err)
		}
		names = append(names, name)
	}
	return names
}

// runNginxUnix runs nginx on text, whose listens are unix sockets in
// dir, until the test ends, and waits until sock accepts.
func runNginxUnix(t *testing.T, dir, text, sock string) {
	t.Helper()
	nginx := straittest.Tool(t, "/usr/sbin/nginx")
	if _, err := os.Stat(nginxStreamModule); err != nil {
		t.Fatalf("nginx is installed without its stream module: %v", err)
	}
	conf := filepath.Join(dir, "nginx.conf")
	if !strings.Contains(text, "events") {
		text = "events {}\n" + text
	}
	text = "load_module " + nginxStreamModule + ";\n" + text
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(nginx, "-e", "stderr", "-p", dir+"/", "-c", conf,
		"-g", "daemon off; master_process off; pid "+filepath.Join(dir, "nginx.pid")+";")
	stderr := &straittest.LockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		if t.Failed() {
			t.Logf("nginx stderr:\n%s", stderr.String())
		}
	})
	waitFor(t, "nginx to listen", func() bool {
		c, err := net.Dial("unix", sock)
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
}

// TestBalancingAgreesWithNginx sends the same 1,000 client addresses
// through nginx and strait to groups balanced by hash $remote_addr,
// hash $remote_addr consistent and a consistent hash of a map's value,
// and checks that every address reaches the same upstream in both; then
// opens long-lived sessions to a least_conn group and checks that both
// spread them in the same order.
func TestBalancingAgreesWithNginx(t *testing.T) {
	names := nameServers(t)
	keys := modulesKeys(1000)

	ngxDir := t.TempDir()
	runNginxUnix(t, ngxDir, names.Replace(strings.ReplaceAll(balanceConfig, "{{dir}}", ngxDir)),
		filepath.Join(ngxDir, "fewest.sock"))
	stDir := t.TempDir()
	startServer(t, mustConfig(t, stDir, names.Replace(balanceConfig)))

	for _, group := range []string{"modulo", "ketama", "bymap"} {
		ngx := askNames(t, filepath.Join(ngxDir, group+".sock"), keys)
		st := askNames(t, filepath.Join(stDir, group+".sock"), keys)
		differ, spread := 0, map[string]int{}
		for i, key := range keys {
			spread[ngx[i]]++
			if ngx[i] != st[i] {
				if differ++; differ <= 10 {
					t.Errorf("%s: %s: nginx chose %s, strait %s", group, key, ngx[i], st[i])
				}
			}
		}
		t.Logf("%s: nginx's spread %v; %d of %d keys differ", group, spread, differ, len(keys))
		if len(spread) < 3 {
			t.Errorf("%s: keys reached only %v", group, spread)
		}
	}

	ngx := holdSessions(t, filepath.Join(ngxDir, "fewest.sock"), 24)
	st := holdSessions(t, filepath.Join(stDir, "fewest.sock"), 24)
	t.Logf("least_conn: nginx %v", ngx)
	if strings.Join(ngx, " ") != strings.Join(st, " ") {
		t.Errorf("least_conn with held sessions:\nnginx  %v\nstrait %v", ngx, st)
	}
}
