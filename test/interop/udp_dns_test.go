package interop

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/server/servertest"
)

// dnsmasq is one running dnsmasq.
type dnsmasq struct {
	addr string
	port int
	bin  string
	proc *process
}

// startDnsmasq runs dnsmasq on a loopback port answering example.test
// with answer.
func startDnsmasq(t testing.TB, bin, answer string) *dnsmasq {
	t.Helper()
	return startDnsmasqArgs(t, bin, "--address=/example.test/"+answer)
}

// startDnsmasqArgs runs dnsmasq on a loopback port with args added to a
// configuration that answers only from its own records. dnsmasq binds
// its own sockets and cannot take one from the test, and --port=0 turns
// its DNS service off, so the port is chosen at random below the
// ephemeral range (where the kernel does not number client sockets) and
// dnsmasq is started again on another one, a bounded number of times,
// when it reports the port taken. Nothing is bound and released by the
// test in between, so nothing can race it except another process that
// took the port first, which dnsmasq then reports.
func startDnsmasqArgs(t testing.TB, bin string, args ...string) *dnsmasq {
	t.Helper()
	for range 20 {
		port := 20000 + rand.IntN(12000)
		if d := runDnsmasq(t, bin, port, args); d != nil {
			return d
		}
	}
	t.Fatal("dnsmasq found no free loopback port in 20 tries")
	return nil
}

// runDnsmasq starts dnsmasq on port; nil when the port is taken.
func runDnsmasq(t testing.TB, bin string, port int, args []string) *dnsmasq {
	t.Helper()
	p := launch(t, true, bin, append([]string{"--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
		"--listen-address=127.0.0.1", "--bind-interfaces", "--port=" + strconv.Itoa(port),
		"--log-facility=-", "--pid-file=", "--user=root"}, args...)...)
	for deadline := time.Now().Add(waitLimit); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		out := p.out.String()
		if strings.Contains(out, "started, version") {
			return &dnsmasq{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), port: port, bin: bin, proc: p}
		}
		select {
		case <-p.exited:
		default:
			continue
		}
		if !strings.Contains(out, "Address already in use") {
			t.Fatalf("dnsmasq exited:\n%s", out)
		}
		return nil
	}
	t.Fatalf("dnsmasq did not start within %v", waitLimit)
	return nil
}

// restart stops d and starts dnsmasq again on the same port with args:
// SIGHUP re-reads hosts files but not --srv-host records. The port was
// d's until it exited, so a conflict is only another process's brief
// hold on it; it is retried a bounded number of times.
func (d *dnsmasq) restart(t testing.TB, args ...string) {
	t.Helper()
	syscall.Kill(d.proc.pid, syscall.SIGTERM)
	<-d.proc.exited
	for range 50 {
		if n := runDnsmasq(t, d.bin, d.port, args); n != nil {
			d.proc = n.proc
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("dnsmasq could not start again on port %d", d.port)
}

// dnsQuery is an A query for name with id (RFC 1035 section 4.1).
func dnsQuery(id uint16, name string) []byte {
	q := binary.BigEndian.AppendUint16(nil, id)
	q = append(q, 0x01, 0x00)             // RD
	q = append(q, 0, 1, 0, 0, 0, 0, 0, 0) // one question
	for _, l := range strings.Split(name, ".") {
		q = append(q, byte(len(l)))
		q = append(q, l...)
	}
	return append(q, 0, 0, dnsTypeA, 0, dnsClassIN)
}

// dnsAnswer returns the A record of a response to query id, "" for
// anything else (an empty datagram, another id, no answer).
func dnsAnswer(resp []byte, id uint16) string {
	if len(resp) < dnsHeader+4 || binary.BigEndian.Uint16(resp) != id || resp[2]&0x80 == 0 ||
		resp[3]&0x0f != 0 || binary.BigEndian.Uint16(resp[6:]) == 0 {
		return ""
	}
	return net.IP(resp[len(resp)-4:]).String()
}

// resolve asks addr for example.test over c, resending after wait or
// after a datagram that is no answer, at most tries times. It returns
// the answer and how many sends it took.
func resolve(c *net.UDPConn, id uint16, wait time.Duration, tries int) (string, int) {
	buf := make([]byte, 1500)
	q := dnsQuery(id, "www.example.test")
	for i := 1; i <= tries; i++ {
		if _, err := c.Write(q); err != nil {
			continue
		}
		c.SetReadDeadline(time.Now().Add(wait))
		for {
			n, err := c.Read(buf)
			if err != nil {
				break
			}
			if a := dnsAnswer(buf[:n], id); a != "" {
				return a, i
			}
			if n == 0 {
				break // strait relays an ICMP error as nginx does: empty
			}
		}
	}
	return "", tries
}

// TestUDPDNSThroughStrait sends 10,000 DNS queries through strait to two
// dnsmasq resolvers: none is lost and round robin splits them evenly.
// Then one resolver stops answering (SIGSTOP): the session that meets it
// times out after proxy_timeout, which fails the resolver (max_fails=1),
// and every later query is answered by the other one.
func TestUDPDNSThroughStrait(t *testing.T) {
	bin := needTool(t, "dnsmasq")
	a, b := startDnsmasq(t, bin, "192.0.2.1"), startDnsmasq(t, bin, "192.0.2.2")
	pc, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	listen := pc.LocalAddr().String()
	dir := t.TempDir()
	conf := filepath.Join(dir, "strait.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(`error_log %s/error.log warn;
events {} stream {
    upstream dns { server %s max_fails=1 fail_timeout=1m; server %s max_fails=1 fail_timeout=1m; }
    server { listen %s udp; proxy_responses 1; proxy_timeout 300ms; proxy_pass dns; }
}`, dir, a.addr, b.addr, listen)), 0o644); err != nil {
		t.Fatal(err)
	}
	servertest.StartSockets(t, conf, dir, nil, []net.PacketConn{pc})

	// Eight clients, each asking one query at a time over its own
	// socket: each query is a session of its own, as the one before
	// it ended with its answer.
	const queries, clients = 10000, 8
	var next, lost atomic.Int64
	counts := make([]map[string]int, clients)
	var wg sync.WaitGroup
	for w := range clients {
		counts[w] = map[string]int{}
		wg.Go(func() {
			c, err := net.DialUDP("udp", nil, pc.LocalAddr().(*net.UDPAddr))
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			for i := next.Add(1); i <= queries; i = next.Add(1) {
				ans, sends := resolve(c, uint16(i), 5*time.Second, 1)
				if ans == "" || sends != 1 {
					lost.Add(1)
					continue
				}
				counts[w][ans]++
			}
		})
	}
	wg.Wait()
	total := map[string]int{}
	for _, m := range counts {
		for k, v := range m {
			total[k] += v
		}
	}
	if lost.Load() != 0 || total["192.0.2.1"] != queries/2 || total["192.0.2.2"] != queries/2 {
		t.Fatalf("%d of %d queries lost; answers %v, want %d from each resolver", lost.Load(), queries, total, queries/2)
	}

	// Failover: b stops answering. At most one session meets it before
	// its failure counts; the query is asked again after 1s, longer
	// than proxy_timeout, and answered by a.
	if err := syscall.Kill(b.proc.pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer syscall.Kill(b.proc.pid, syscall.SIGCONT)
	c, err := net.DialUDP("udp", nil, pc.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	resent := 0
	for i := range 20 {
		ans, sends := resolve(c, uint16(i), time.Second, 3)
		if ans != "192.0.2.1" {
			t.Fatalf("query %d after b stopped: answer %q after %d sends", i, ans, sends)
		}
		resent += sends - 1
	}
	if resent > 1 {
		t.Errorf("%d queries were asked again; only the one that met the stopped resolver should be", resent)
	}
}
