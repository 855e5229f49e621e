package process

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/straittest"
	"github.com/straitproxy/strait/internal/testpki"
)

// pageConf proxies one listen with TLS to a group of three peers (one
// good, one whose certificate names another host, one refusing) and
// another plainly to a group with a peer marked down.
const pageConf = `daemon off;
pid {{dir}}/strait.pid;
error_log {{dir}}/error.log info;
status_listen 127.0.0.1:0;
stream {
    upstream backend {
        server {{good}} max_fails=1 fail_timeout=10m;
        server {{misnamed}} max_fails=1 fail_timeout=10m;
        server {{refused}} max_fails=1 fail_timeout=10m;
    }
    upstream plain {
        server {{echo}};
        server {{spare}} down;
    }
    server {
        listen {{tlsListen}};
        proxy_pass backend;
        proxy_ssl on;
        proxy_ssl_certificate {{dir}}/client.crt;
        proxy_ssl_certificate_key {{dir}}/client.key;
        proxy_ssl_trusted_certificate {{dir}}/ca.crt;
        proxy_ssl_verify on;
        proxy_ssl_session_reuse on;
    }
    server {
        listen {{plainListen}};
        proxy_pass plain;
    }
}
`

// startTLSEcho serves startEcho's protocol over TLS with leaf.
func startTLSEcho(t *testing.T, name string, leaf *testpki.Leaf) string {
	t.Helper()
	ln := tls.NewListener(straittest.Listen(t), &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate()}})
	straittest.ServeListener(t, ln, func(c net.Conn) { echoLines(c, name) })
	return ln.Addr().String()
}

// renderPage loads the status page in headless Chromium, lets its script
// run for a few (virtual) seconds and returns the DOM; with shot set it
// saves a screenshot there instead and returns "".
func renderPage(t *testing.T, url, shot string, extra ...string) string {
	t.Helper()
	chromium := straittest.Tool(t, "chromium")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--user-data-dir=" + t.TempDir(), "--virtual-time-budget=4000"}
	args = append(args, extra...) // a later flag wins
	if shot != "" {
		args = append(args, "--window-size=1280,1150", "--hide-scrollbars", "--screenshot="+shot)
	} else {
		args = append(args, "--dump-dom")
	}
	cmd := exec.CommandContext(ctx, chromium, append(args, url)...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	return string(out)
}

// peerStates reads the data-state of every peer row of a rendered page.
func peerStates(dom string) map[string]string {
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`data-peer="([^"]+)" data-state="([^"]+)"`).FindAllStringSubmatch(dom, -1) {
		out[m[1]] = m[2]
	}
	return out
}

func TestStatusPageShowsPeersAndTheirState(t *testing.T) {
	dir := t.TempDir()
	ca := testpki.NewRoot(t, testpki.Spec{CommonName: "status page CA"})
	testpki.WriteCerts(t, dir, "ca.crt", ca.Cert)
	client := ca.Issue(t, testpki.Spec{CommonName: "strait", Client: true})
	testpki.WriteLeaf(t, dir, "client", client)
	good := startTLSEcho(t, "good", ca.Issue(t, testpki.Spec{CommonName: "backend", DNSNames: []string{"backend"}}))
	misnamed := startTLSEcho(t, "misnamed", ca.Issue(t, testpki.Spec{CommonName: "other", DNSNames: []string{"other.example"}}))
	refused := straittest.RefusedAddr(t)
	echo, spare := startEcho(t, "echo"), straittest.RefusedAddr(t)
	tlsLn, tlsListen := straittest.ListenAddr(t)
	plainLn, plainListen := straittest.ListenAddr(t)
	conf := filepath.Join(dir, "strait.conf")
	text := strings.NewReplacer("{{dir}}", dir, "{{good}}", good, "{{misnamed}}", misnamed, "{{refused}}", refused,
		"{{echo}}", echo, "{{spare}}", spare, "{{tlsListen}}", tlsListen, "{{plainListen}}", plainListen).Replace(pageConf)
	writeConf(t, conf, text)
	runInheriting(t, exec.Command(straitBin, "-c", conf), "STRAIT", tlsLn, plainLn)
	status := statusAddr(t, dir, 1)
	page := "http://" + status + "/"

	// Before any session every peer shows, the one marked down as down.
	dom := renderPage(t, page, "")
	if !strings.Contains(dom, `data-loaded="1"`) {
		t.Fatalf("the page did not render /status:\n%s", dom)
	}
	want := map[string]string{good: "up", misnamed: "up", refused: "up", echo: "up", spare: "down"}
	if got := peerStates(dom); !maps.Equal(got, want) {
		t.Fatalf("peer states before traffic: %v, want %v", got, want)
	}

	// Round robin tries every peer within three sessions; the two bad
	// ones fail once each, which max_fails=1 turns into unavailable.
	for i := range 4 {
		if got, err := ask(tlsListen, fmt.Sprint("tls ", i)); err != nil || got != fmt.Sprintf("good: tls %d", i) {
			t.Fatalf("session %d: %q, %v", i, got, err)
		}
	}
	if got, err := ask(plainListen, "plain"); err != nil || got != "echo: plain" {
		t.Fatalf("plain session: %q, %v", got, err)
	}
	eventually(t, "two unavailable peers in /status", func() error {
		body, err := scrape(status, "/status")
		if err != nil {
			return err
		}
		var doc struct {
			Upstreams []struct{ Peers []struct{ Up, Down bool } }
			Servers   []struct{ Sessions int }
		}
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			return err
		}
		if n := len(doc.Servers); n != 2 || doc.Servers[0].Sessions != 4 || doc.Servers[1].Sessions != 1 {
			return fmt.Errorf("servers not counted yet: %s", body)
		}
		if p := doc.Upstreams[0].Peers; !p[1].Up && !p[2].Up {
			return nil
		}
		return fmt.Errorf("peers still up: %s", body)
	})
	dom = renderPage(t, page, "")
	want[misnamed], want[refused] = "unavailable", "unavailable"
	if got := peerStates(dom); !maps.Equal(got, want) {
		t.Errorf("peer states after failures: %v, want %v", got, want)
	}
	for _, s := range []string{"hostname mismatch: 1", "connect_error 1", "ca.crt", "client.crt", tlsListen, plainListen} {
		if !strings.Contains(dom, s) {
			t.Errorf("the page lacks %q", s)
		}
	}
	// Four sessions to the good peer: one full handshake, three resumed.
	if !regexp.MustCompile(`>1 / 3<.*?>75%<`).MatchString(dom) {
		t.Errorf("the page lacks the good peer's handshakes (1 new, 3 resumed, 75%%)")
	}
	if shot := os.Getenv("STRAIT_STATUS_SCREENSHOT"); shot != "" {
		screenshot(t, status, shot, tlsListen, plainListen)
	}
}

// screenshot saves the page for the documentation (STRAIT_STATUS_SCREENSHOT
// names the PNG), with traffic running so that the charts have a shape.
// Chromium's virtual time stands still while a request is pending, so a
// proxy that holds each /status for a second makes the page's samples a
// second apart in real time too.
func screenshot(t *testing.T, status, shot string, listens ...string) {
	target, _ := url.Parse("http://" + status)
	rp := httputil.NewSingleHostReverseProxy(target)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/status" {
			time.Sleep(time.Second)
		}
		rp.ServeHTTP(w, r)
	}))
	defer slow.Close()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i, listen := range listens {
		wg.Go(func() {
			for n := 0; n < 5000; n++ {
				select {
				case <-stop:
					return
				default:
				}
				c, err := net.DialTimeout("tcp", listen, 3*time.Second)
				if err != nil {
					continue
				}
				c.SetDeadline(time.Now().Add(5 * time.Second))
				r := bufio.NewReader(c)
				for range 1 + (n/7+i)%5 {
					fmt.Fprintf(c, "%s\n", strings.Repeat("x", 200*(1+n%9)))
					r.ReadString('\n')
				}
				// Sessions stay open a while, for the active count.
				time.Sleep(time.Duration(20+(n%13)*15) * time.Millisecond)
				c.Close()
			}
		})
	}
	defer wg.Wait()
	defer close(stop)
	renderPage(t, slow.URL+"/", shot, "--virtual-time-budget=40000")
	t.Logf("screenshot in %s", shot)
}
