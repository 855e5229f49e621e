package server

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/straittest"
)

// modulesConfig answers every session with the values of split_clients
// and geo variables computed from the client address, which realip takes
// from the PROXY header the test sends: so each connection is a key the
// test chooses.
const modulesConfig = `
events {} stream {
    set_real_ip_from unix:;
    split_clients "${remote_addr}AAA" $variant {
        0.5%   .one;
        2.0%   .two;
        33.33% three;
        10%    four;
        *      "";
    }
    split_clients "$remote_addr:$remote_port" $half {
        50%    a;
        49.99% b;
    }
    geo $net {
        default              def;
        10.0.0.0/8           ten;
        10.1.0.0/16          ten-one;
        10.1.128.0/17        ten-17;
        10.1.2.3             host;
        10.2.0.0/16          gone;
        delete               10.2.0.0/16;
        172.16.0.0/12        private;
        192.168.0.0/16       lan;
        192.168.1.0/24       office;
        192.168.1.128/25     office-high;
        2001:db8::/32        doc;
        2001:db8:8000::/33   doc-33;
        2001:db8:1:2::/64    doc-64;
        ::/1                 low-half;
    }
    geo $proxy_protocol_addr $source {
        10.0.0.0/9           ten-low;
        2001:db8::/48        doc-48;
    }
    geo $band {
        ranges;
        default                    none;
        10.0.0.0-10.0.255.255      a;
        10.0.1.0-10.0.1.255        b;
        10.0.0.128-10.0.0.200      c;
        10.1.255.0-10.3.0.255      d;
        192.168.0.0-192.168.255.255 e;
        192.168.1.0-192.168.1.0    f;
    }
    server {
        listen unix:{{sock}} proxy_protocol;
        set $both "$variant/$band";
        set $both "[$both]";
        return "$remote_addr|$realip_remote_addr|$variant|$half|$net|$source|$band|$both\n";
    }
}
`

// modulesKeys are the client addresses and ports the differential test
// sends: addresses in and around every network and range of
// modulesConfig, and random ones, IPv4 and IPv6, from a fixed seed.
func modulesKeys(n int) []string {
	r := rand.New(rand.NewPCG(1, 2))
	v4 := func(a, b byte) string {
		return fmt.Sprintf("%d.%d.%d.%d", a, b, r.IntN(256), r.IntN(256))
	}
	// Boundaries first, then random keys.
	keys := []string{
		"10.1.2.3 1", "10.1.2.4 1", "10.0.0.127 2", "10.0.0.128 2", "10.0.0.200 3", "10.0.0.201 3",
		"10.0.1.0 4", "10.0.1.255 4", "10.1.254.255 5", "10.1.255.0 5", "10.3.0.255 6", "10.3.1.0 6",
		"192.168.1.0 7", "192.168.1.127 7", "192.168.1.128 7", "192.168.2.0 7", "172.15.255.255 8",
		"172.16.0.0 8", "0.0.0.0 9", "127.0.0.1 9", "2001:db8::1 10", "2001:db8:0:ffff::1 10",
		"2001:db8:1:2::1 11", "2001:db8:8000::1 11", "::1 12", "::1.2.3.4 12", "8000:: 13", "7fff:ffff:: 13",
	}
	for len(keys) < n {
		var addr string
		switch r.IntN(10) {
		case 0:
			addr = v4(10, byte(r.IntN(4)))
		case 1:
			addr = fmt.Sprintf("10.%d.%d.%d", r.IntN(256), r.IntN(256), r.IntN(256))
		case 2:
			addr = v4(192, 168)
		case 3:
			addr = fmt.Sprintf("192.168.1.%d", r.IntN(256))
		case 4:
			addr = v4(byte(172), byte(10+r.IntN(30)))
		case 5, 6:
			addr = fmt.Sprintf("%d.%d.%d.%d", 1+r.IntN(223), r.IntN(256), r.IntN(256), r.IntN(256))
		case 7:
			var b [16]byte
			copy(b[:], netip.MustParseAddr("2001:db8::").AsSlice())
			for i := 4; i < 16; i++ {
				b[i] = byte(r.IntN(256))
			}
			if r.IntN(2) == 0 {
				b[4], b[5], b[6], b[7] = 0, 1, 0, 2
			}
			addr = netip.AddrFrom16(b).String()
		default:
			var b [16]byte
			for i := range b {
				b[i] = byte(r.IntN(256))
			}
			b[0] &= 0xdf // keep some in ::/1, never a mapped or special form
			b[0] |= 0x20
			if r.IntN(2) == 0 {
				b[0] &= 0x7f
			}
			addr = netip.AddrFrom16(b).String()
		}
		keys = append(keys, fmt.Sprintf("%s %d", addr, 1+r.IntN(65535)))
	}
	return keys
}

// askAll connects to sock once per key, sends a PROXY header naming the
// key's address and port, and returns the replies, with a few sessions
// at a time.
func askAll(t *testing.T, sock string, keys []string) []string {
	t.Helper()
	out := make([]string, len(keys))
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	next := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				addr, port, _ := strings.Cut(keys[i], " ")
				family, dst := "TCP4", "127.0.0.1"
				if strings.Contains(addr, ":") {
					family, dst = "TCP6", "::1"
				}
				c, err := net.Dial("unix", sock)
				if err != nil {
					select {
					case errs <- err:
					default:
					}
					continue
				}
				c.SetDeadline(time.Now().Add(straittest.ConnDeadline))
				fmt.Fprintf(c, "PROXY %s %s %s %s 80\r\n", family, addr, dst, port)
				b, err := io.ReadAll(c)
				c.Close()
				if err != nil {
					select {
					case errs <- fmt.Errorf("%s: %w", keys[i], err):
					default:
					}
				}
				out[i] = string(b)
			}
		})
	}
	for i := range keys {
		next <- i
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	return out
}

// TestModulesAgreeWithNginx sends the same 10,000 keys to nginx and
// strait and checks that realip, split_clients, geo (networks, a source
// variable, ranges), set and return give every key the same reply.
func TestModulesAgreeWithNginx(t *testing.T) {
	keys := modulesKeys(10000)

	ngxDir := t.TempDir()
	ngxSock := filepath.Join(ngxDir, "n.sock")
	runNginxUnix(t, ngxDir, strings.ReplaceAll(modulesConfig, "{{sock}}", ngxSock), ngxSock)
	ngxReplies := askAll(t, ngxSock, keys)

	stDir := t.TempDir()
	stSock := filepath.Join(stDir, "s.sock")
	startServer(t, mustConfig(t, stDir, strings.ReplaceAll(modulesConfig, "{{sock}}", stSock)))
	stReplies := askAll(t, stSock, keys)

	differ, seen := 0, map[string]bool{}
	for i, key := range keys {
		if ngxReplies[i] == "" {
			t.Fatalf("%s: nginx sent nothing", key)
		}
		fields := strings.Split(strings.TrimSpace(ngxReplies[i]), "|")
		for j, f := range fields[2:7] {
			seen[fmt.Sprint(j, f)] = true
		}
		if ngxReplies[i] != stReplies[i] {
			if differ++; differ <= 20 {
				t.Errorf("%s: nginx %q, strait %q", key, ngxReplies[i], stReplies[i])
			}
		}
	}
	if differ > 0 {
		t.Errorf("%d of %d keys differ", differ, len(keys))
	}
	// Every value of every variable was reached, so the keys exercise
	// the whole configuration.
	for _, v := range []string{"0.one", "0.two", "0three", "0four", "0", "1a", "1b",
		"2def", "2ten", "2ten-one", "2ten-17", "2host", "2private", "2lan", "2office", "2office-high",
		"2doc", "2doc-33", "2doc-64", "2low-half", "3ten-low", "3doc-48", "3",
		"4none", "4a", "4b", "4c", "4d", "4e", "4f"} {
		if !seen[v] {
			t.Errorf("no key reached value %q of variable %d", v[1:], v[0]-'0')
		}
	}
}
