package interop

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// startNamedBackend serves one line per connection, answering with
// name, and returns its port.
func startNamedBackend(t *testing.T, name string) int {
	t.Helper()
	ln, addr := listenAddr(t)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				if _, err := bufio.NewReader(c).ReadString('\n'); err == nil {
					fmt.Fprintf(c, "%s\n", name)
				}
			})
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return n
}

// TestDNSPeersFollowSRVRecords runs a bounded load through a group whose
// peers come from SRV records served by dnsmasq, and changes the
// records while it runs: a target is added, then one removed (dnsmasq
// restarted on its port, as SIGHUP does not re-read SRV records). No
// session fails, also while dnsmasq is down; new sessions reach the
// added target and, within the TTL, no longer the removed one.
func TestDNSPeersFollowSRVRecords(t *testing.T) {
	bin := needTool(t, "dnsmasq")
	ports := map[string]int{}
	for _, n := range []string{"a", "b", "c"} {
		ports[n] = startNamedBackend(t, n)
	}
	dir := t.TempDir()
	hosts := filepath.Join(dir, "hosts")
	if err := os.WriteFile(hosts, []byte("127.0.0.1 a.svc.test b.svc.test c.svc.test\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	records := func(names ...string) []string {
		args := []string{"--addn-hosts=" + hosts, "--local-ttl=1"}
		for _, n := range names {
			args = append(args, fmt.Sprintf("--srv-host=_app._tcp.svc.test,%s.svc.test,%d,0,1", n, ports[n]))
		}
		return args
	}
	dns := startDnsmasqArgs(t, bin, records("a", "b")...)

	ln, listen := listenAddr(t)
	s := startStrait(t, dir, fmt.Sprintf(`resolver %s valid=1s ipv6=off;
    resolver_timeout 1s;
    upstream app {
        zone app 64k;
        server svc.test service=app resolve;
    }
    server { listen %s; proxy_pass app; }`, dns.addr, listen), ln)
	_ = s
	// Like nginx, strait starts a resolve server with no peers and asks
	// DNS once it runs: sessions before the first answer get no live
	// upstreams. Wait for that answer before the load starts.
	for deadline := time.Now().Add(waitLimit); ; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no session reached a peer from DNS")
		}
		if c, err := net.Dial("tcp", listen); err == nil {
			fmt.Fprintf(c, "hello\n")
			c.SetDeadline(time.Now().Add(waitLimit))
			_, err := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if err == nil {
				break
			}
		}
	}

	// The load: four clients, one session after another, each noting
	// which backend answered. It stops when the test has seen what it
	// waits for, or after a bounded number of sessions.
	var mu sync.Mutex
	var seen []string
	var failed atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	const maxSessions = 200000
	var sessions atomic.Int64
	for range 4 {
		wg.Go(func() {
			for !stop.Load() && sessions.Add(1) < maxSessions {
				c, err := net.Dial("tcp", listen)
				if err != nil {
					failed.Add(1)
					continue
				}
				c.SetDeadline(time.Now().Add(waitLimit))
				fmt.Fprintf(c, "hello\n")
				line, err := bufio.NewReader(c).ReadString('\n')
				c.Close()
				if err != nil {
					failed.Add(1)
					continue
				}
				mu.Lock()
				seen = append(seen, strings.TrimSpace(line))
				mu.Unlock()
			}
		})
	}
	defer func() {
		stop.Store(true)
		wg.Wait()
	}()

	// waitFor waits until the sessions since mark satisfy ok.
	waitFor := func(what string, ok func(since []string) bool) {
		t.Helper()
		mu.Lock()
		mark := len(seen)
		mu.Unlock()
		for deadline := time.Now().Add(3 * waitLimit); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			mu.Lock()
			since := append([]string(nil), seen[mark:]...)
			mu.Unlock()
			if ok(since) {
				return
			}
			if sessions.Load() >= maxSessions {
				break
			}
		}
		t.Fatalf("%s: not seen (failed sessions %d)", what, failed.Load())
	}
	has := func(since []string, n string) bool {
		for _, s := range since {
			if s == n {
				return true
			}
		}
		return false
	}
	waitFor("sessions reach a and b", func(s []string) bool { return has(s, "a") && has(s, "b") })

	dns.restart(t, records("a", "b", "c")...)
	waitFor("sessions reach the added target c", func(s []string) bool { return has(s, "c") })

	dns.restart(t, records("b", "c")...)
	// Within the TTL the removed target gets no new sessions: wait for
	// a run of 200 sessions without a.
	waitFor("sessions leave the removed target a", func(s []string) bool {
		run := 0
		for _, x := range s {
			if run++; x == "a" {
				run = 0
			}
		}
		return run >= 200
	})
	stop.Store(true)
	wg.Wait()
	if n := failed.Load(); n != 0 {
		t.Errorf("%d sessions failed while the records changed", n)
	}
}
