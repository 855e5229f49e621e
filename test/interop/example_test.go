package interop

import (
	"crypto/tls"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/testpki"
)

// seedExample is the complete example of nginx's "Securing TCP Traffic to
// Upstream Servers", unchanged.
const seedExample = `stream {

    upstream backend {
        server backend1.example.com:12345;
        server backend2.example.com:12345;
        server backend3.example.com:12345;
    }

    server {
        listen     12345;
        proxy_pass backend;
        proxy_ssl  on;

        proxy_ssl_certificate         /etc/ssl/certs/backend.crt;
        proxy_ssl_certificate_key     /etc/ssl/certs/backend.key;
        proxy_ssl_protocols           TLSv1 TLSv1.1 TLSv1.2;
        proxy_ssl_ciphers             HIGH:!aNULL:!MD5;
        proxy_ssl_trusted_certificate /etc/ssl/certs/trusted_ca_cert.crt;

        proxy_ssl_verify        on;
        proxy_ssl_verify_depth  2;
        proxy_ssl_session_reuse on;
    }
}
`

// seedFiles holds what the example's file names point at: strait's
// client certificate and key, and the CA that signed the upstreams'.
type seedFiles struct {
	dir    string
	id     *clientIdentity
	chain  *testpki.Chain // root -> 1 intermediate; the upstreams' issuer
	config func(extraMain, extraStream, listen, upstreamPort string) string
}

func newSeedFiles(t *testing.T) *seedFiles {
	t.Helper()
	dir := t.TempDir()
	id := newClientIdentity(t, dir)
	chain := testpki.NewChain(t, 1, testpki.Spec{DNSNames: []string{"backend"}})
	testpki.WriteFile(t, dir, "backend.crt", readFile(t, id.certFile))
	testpki.WriteFile(t, dir, "backend.key", readFile(t, id.keyFile))
	testpki.WriteCerts(t, dir, "trusted_ca_cert.crt", chain.Root.Cert)
	dns := startDNS(t, map[string]net.IP{
		"backend1.example.com": net.IPv4(127, 0, 0, 1),
		"backend2.example.com": net.IPv4(127, 0, 0, 2),
		"backend3.example.com": net.IPv4(127, 0, 0, 3),
	})
	return &seedFiles{dir: dir, id: id, chain: chain,
		// The example's text, with its files in dir, a resolver that
		// knows the backends, and optionally other ports and directives.
		config: func(extraMain, extraStream, listen, upstreamPort string) string {
			text := strings.ReplaceAll(seedExample, "/etc/ssl/certs/", dir+"/")
			text = strings.Replace(text, "stream {\n", "stream {\n    resolver "+dns+";\n"+extraStream, 1)
			text = strings.Replace(text, "listen     12345;", "listen     "+listen+";", 1)
			text = strings.ReplaceAll(text, ".example.com:12345;", ".example.com:"+upstreamPort+";")
			// nginx, and strait with it, requires an events block.
			return extraMain + "events {}\n" + text
		}}
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var straitBinary struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// buildStrait builds cmd/strait once per test run.
func buildStrait(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	straitBinary.once.Do(func() {
		dir, err := os.MkdirTemp("", "strait-interop-bin-")
		if err != nil {
			straitBinary.err = err
			return
		}
		straitBinary.path = filepath.Join(dir, "strait")
		cmd := exec.Command(goTool, "build", "-o", straitBinary.path, "github.com/straitproxy/strait/cmd/strait")
		straitBinary.out, straitBinary.err = cmd.CombinedOutput()
	})
	if straitBinary.err != nil {
		t.Fatalf("go build ./cmd/strait: %v\n%s", straitBinary.err, straitBinary.out)
	}
	return straitBinary.path
}

// removeStraitBinary deletes what buildStrait built, at the end of the run.
func removeStraitBinary() {
	if straitBinary.path != "" {
		os.RemoveAll(filepath.Dir(straitBinary.path))
	}
}

// TestSeedExampleConfigTest: the example passes `strait -t`, its host
// names resolved through the resolver directive.
func TestSeedExampleConfigTest(t *testing.T) {
	bin := buildStrait(t)
	sf := newSeedFiles(t)
	conf := testpki.WriteFile(t, sf.dir, "strait.conf", []byte(sf.config("", "", "12345", "12345")))
	out, err := exec.Command(bin, "-t", "-c", conf).CombinedOutput()
	if err != nil {
		t.Fatalf("strait -t: %v\n%s", err, out)
	}
	for _, want := range []string{
		"the configuration file " + conf + " syntax is ok",
		"configuration file " + conf + " test is successful",
		// strait runs the old protocols, as nginx does, but says so.
		`[warn] TLSv1 in "proxy_ssl_protocols" is deprecated (RFC 8996)`,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("strait -t output lacks %q:\n%s", want, out)
		}
	}
	t.Logf("strait -t:\n%s", out)

	// Without a resolver that knows them the names do not resolve, and -t
	// says so the way nginx does.
	bad := strings.Replace(sf.config("", "", "12345", "12345"), "example.com", "example.invalid", 1)
	bad = strings.Replace(bad, "    resolver ", "    # resolver ", 1)
	conf = testpki.WriteFile(t, sf.dir, "unresolved.conf", []byte(bad))
	out, err = exec.Command(bin, "-t", "-c", conf).CombinedOutput()
	if err == nil || !strings.Contains(string(out), `host not found in upstream "backend1.example.invalid:12345"`) ||
		!strings.Contains(string(out), "test failed") {
		t.Errorf("strait -t with an unknown host: %v\n%s", err, out)
	}
}

// TestSeedExampleTraffic runs the built binary on the example (other
// ports, plus daemon off and logs) in front of three mutual-TLS
// upstreams at the addresses backend1..3.example.com resolve to.
func TestSeedExampleTraffic(t *testing.T) {
	bin := buildStrait(t)
	sf := newSeedFiles(t)
	port, lns := listenSamePort(t, "127.0.0.1", "127.0.0.2", "127.0.0.3")
	var peers []*goPeer
	for i, ln := range lns {
		leaf := sf.chain.Issuer().Issue(t, testpki.Spec{CommonName: fmt.Sprintf("backend%d.example.com", i+1),
			DNSNames: []string{fmt.Sprintf("backend%d.example.com", i+1), "backend"}})
		peers = append(peers, serveGoPeer(t, ln, &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate()}}, sf.id.pool))
	}
	ln, listen := listenAddr(t)
	access, errorLog := filepath.Join(sf.dir, "access.log"), filepath.Join(sf.dir, "error.log")
	text := sf.config(
		"daemon off;\npid "+filepath.Join(sf.dir, "strait.pid")+";\nerror_log "+errorLog+" info;\n",
		"    "+logFormat+"\n    access_log "+access+" interop;\n", listen, port)
	conf := testpki.WriteFile(t, sf.dir, "strait.conf", []byte(text))
	if out, err := exec.Command(bin, "-t", "-c", conf).CombinedOutput(); err != nil {
		t.Fatalf("strait -t: %v\n%s", err, out)
	}
	runBinary(t, bin, errorLog, []net.Listener{ln}, "-c", conf)

	const rounds = 2
	for i := 0; i < rounds*len(peers); i++ {
		line := fmt.Sprintf("message %d", i)
		if got := readLine(t, listen, line); got != line {
			t.Fatalf("session %d: reply %q", i, got)
		}
		waitRecords(t, access, i+1)
	}
	lines := waitRecords(t, access, rounds*len(peers))
	if len(lines) != rounds*len(peers) {
		t.Errorf("access log has %d records, want %d", len(lines), rounds*len(peers))
	}
	for i, line := range lines {
		rec := parseRecord(t, line)
		wantAddr := net.JoinHostPort(fmt.Sprintf("127.0.0.%d", i%3+1), port)
		wantReused := map[bool]string{false: ".", true: "r"}[i >= len(peers)]
		if rec.Status != "200" || rec.UpstreamAddr != wantAddr || rec.Protocol != "TLSv1.2" ||
			rec.Verify != "OK" || rec.Reused != wantReused || !strings.Contains(rec.Cipher, "GCM") {
			t.Errorf("session %d: record %+v, want %s over TLSv1.2, verified, session_reused %q", i, rec, wantAddr, wantReused)
		}
	}
	for i, p := range peers {
		p.mu.Lock()
		clients := p.clients
		p.mu.Unlock()
		if len(clients) != rounds || clients[0] != clientSubject {
			t.Errorf("backend%d saw client certificates %q, want %d × %q", i+1, clients, rounds, clientSubject)
		}
	}
}

// listenSamePort binds one port on every host, retrying with other ports
// while one of them is taken.
func listenSamePort(t *testing.T, hosts ...string) (string, []net.Listener) {
	t.Helper()
	for try := 0; try < 20; try++ {
		first, err := net.Listen("tcp", hosts[0]+":0")
		if err != nil {
			t.Fatal(err)
		}
		_, port, _ := net.SplitHostPort(first.Addr().String())
		lns := []net.Listener{first}
		for _, h := range hosts[1:] {
			ln, err := net.Listen("tcp", net.JoinHostPort(h, port))
			if err != nil {
				break
			}
			lns = append(lns, ln)
		}
		if len(lns) == len(hosts) {
			return port, lns
		}
		for _, ln := range lns {
			ln.Close()
		}
	}
	t.Fatalf("no port free on all of %v", hosts)
	return "", nil
}

// runBinary starts strait with args in the foreground, handing it lns in
// its STRAIT variable, waits until its error log says it started (a probe
// connection would be proxied and logged like any session), and stops it
// (TERM, then KILL) when the test ends.
func runBinary(t *testing.T, bin, errorLog string, lns []net.Listener, args ...string) {
	t.Helper()
	t.Cleanup(func() {
		if t.Failed() {
			log, _ := os.ReadFile(errorLog)
			t.Logf("strait error log:\n%s", log)
		}
	})
	launchCmd(t, true, exec.Command(bin, args...), "STRAIT", lns...).waitUntil(t, "start", func() bool {
		log, _ := os.ReadFile(errorLog)
		return strings.Contains(string(log), " started\n")
	})
}

// waitRecords waits until the access log at path has n lines.
func waitRecords(t *testing.T, path string, n int) []string {
	t.Helper()
	for deadline := time.Now().Add(waitLimit); ; time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(path)
		if lines := nonEmptyLines(string(b)); len(lines) >= n {
			return lines
		}
		if time.Now().After(deadline) {
			t.Fatalf("access log has fewer than %d records:\n%s", n, b)
		}
	}
}
