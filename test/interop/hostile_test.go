package interop

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/testpki"
)

// hostileUpstream is one catalogue case behind a Go TLS upstream.
type hostileUpstream struct {
	testpki.HostileCase
	peer  *goPeer
	block string // the server block's directives after listen
}

// TestHostileChainsNginxAndStrait puts one nginx and one strait, with the
// same server block per catalogue case, in front of Go TLS upstreams
// serving the case's chain. For every case the error log line of the
// upstream handshake must be the same in both, nginx's must carry the
// catalogue's verdict, and a rejected upstream must not see one byte of
// the client's payload. Cases at the default security level get no
// @SECLEVEL, so nginx's default is tested too.
func TestHostileChainsNginxAndStrait(t *testing.T) {
	nginx := needTool(t, "nginx")
	if _, err := os.Stat(nginxStreamModule); err != nil {
		needTool(t, nginxStreamModule)
	}
	dir := t.TempDir()
	// P-384: strong enough for every level the catalogue uses, or nginx
	// refuses its own client certificate at startup.
	id := newClientIdentityKey(t, dir, testpki.ECDSAP384)
	var ups []*hostileUpstream
	var nginxConf, straitConf strings.Builder
	for i, h := range testpki.HostileCases(t) {
		u := &hostileUpstream{HostileCase: h}
		u.peer = startGoPeer(t, &tls.Config{Certificates: []tls.Certificate{h.TLSCertificate()}}, id.pool)
		cdir := filepath.Join(dir, strconv.Itoa(i))
		if err := os.Mkdir(cdir, 0o755); err != nil {
			t.Fatal(err)
		}
		u.block = hostileBlock(t, cdir, u, id)
		fmt.Fprintf(&nginxConf, "    server {\n        listen unix:%s;\n%s    }\n", u.socket(dir, "n"), u.block)
		fmt.Fprintf(&straitConf, "    server {\n        listen unix:%s;\n%s    }\n", u.socket(dir, "s"), u.block)
		ups = append(ups, u)
	}
	nginxLog := startHostileNginx(t, nginx, dir, nginxConf.String(), ups[len(ups)-1].socket(dir, "n"))
	sdir := filepath.Join(dir, "strait")
	if err := os.Mkdir(sdir, 0o755); err != nil {
		t.Fatal(err)
	}
	st := startStrait(t, sdir, straitConf.String())

	for _, u := range ups {
		t.Run(u.Name, func(t *testing.T) {
			t.Parallel()
			nginxReply := exchangeUnix(t, u.socket(dir, "n"), payload)
			straitReply := exchangeUnix(t, u.socket(dir, "s"), payload)
			want := wantHostileLine(u.HostileCase)
			// A proxy that refused the upstream has logged why (or is about
			// to); one that relayed the payload has nothing to say.
			nginxLine := handshakeLine(t, nginxLog.String, u.peer.addr, nginxReply == "")
			straitLine := handshakeLine(t, st.Log.String, u.peer.addr, straitReply == "")
			switch {
			case want == "":
				if nginxReply != payload || straitReply != payload {
					t.Errorf("replies: nginx %q, strait %q; want the payload echoed by both (logged: nginx %q, strait %q)",
						nginxReply, straitReply, nginxLine, straitLine)
				}
			case u.TLSRefused:
				// OpenSSL also applies the security level to the
				// signature schemes it offers, so it fails the handshake;
				// crypto/tls offers no such knob, so strait refuses the
				// same upstream at verification (weak key or digest).
				if !strings.HasPrefix(nginxLine, want) {
					t.Errorf("nginx logs %q, the catalogue expects %q...", nginxLine, want)
				}
				if !strings.HasPrefix(straitLine, want) && !strings.HasPrefix(straitLine, "upstream SSL certificate verify error: (6") {
					t.Errorf("strait logs %q; want a refusal at the handshake or for a weak key or digest", straitLine)
				}
			default:
				if !strings.HasPrefix(nginxLine, want) {
					t.Errorf("nginx logs %q, the catalogue expects %q...", nginxLine, want)
				}
				if straitLine != nginxLine {
					t.Errorf("strait logs %q, nginx %q", straitLine, nginxLine)
				}
			}
			if want != "" {
				if nginxReply != "" || straitReply != "" {
					t.Errorf("replies from a rejected upstream: nginx %q, strait %q", nginxReply, straitReply)
				}
				if app, raw, _ := u.peer.received(); len(app) != 0 || bytes.Contains(raw, []byte("SECRET")) {
					t.Errorf("rejected upstream received client data: %q", app)
				}
			}
		})
	}
}

func (u *hostileUpstream) socket(dir, proxy string) string {
	return filepath.Join(dir, proxy+strings.TrimPrefix(u.peer.addr, "127.0.0.1:")+".sock")
}

// hostileBlock writes the case's files to dir and returns the proxy_ssl
// directives nginx and strait share.
func hostileBlock(t *testing.T, dir string, u *hostileUpstream, id *clientIdentity) string {
	trusted, _, crls := u.WriteFiles(t, dir)
	var b strings.Builder
	// TLS 1.3 where both sides can, as nginx since 1.27.3 and strait by
	// default: over TLS 1.2 OpenSSL also refuses, at the TLS layer, an
	// ECDSA leaf whose keyUsage lacks digitalSignature.
	fmt.Fprintf(&b, "        proxy_pass %s;\n        proxy_ssl on;\n        proxy_ssl_protocols TLSv1.2 TLSv1.3;\n        %s",
		u.peer.addr, id.directives())
	fmt.Fprintf(&b, "        proxy_ssl_verify on;\n        proxy_ssl_trusted_certificate %s;\n", trusted)
	fmt.Fprintf(&b, "        proxy_ssl_verify_depth %d;\n        proxy_ssl_name %s;\n", u.Depth, u.Host)
	if crls != "" {
		fmt.Fprintf(&b, "        proxy_ssl_crl %s;\n", crls)
	}
	if u.Level != testpki.DefaultSecurityLevel {
		fmt.Fprintf(&b, "        proxy_ssl_ciphers DEFAULT:@SECLEVEL=%d;\n", u.Level)
	}
	return b.String()
}

// startHostileNginx runs nginx with the server blocks and returns its
// error log; ready is the socket it listens on last.
func startHostileNginx(t *testing.T, nginx, dir, servers, ready string) interface{ String() string } {
	ndir := filepath.Join(dir, "nginx")
	if err := os.Mkdir(ndir, 0o755); err != nil {
		t.Fatal(err)
	}
	errLog := filepath.Join(ndir, "error.log")
	conf := testpki.WriteFile(t, ndir, "nginx.conf", []byte(fmt.Sprintf(
		"load_module %s;\nevents {}\nstream {\n%s}\n", nginxStreamModule, servers)))
	// master_process off keeps nginx one process that the cleanup's kill
	// stops entirely.
	p := launch(t, false, nginx, "-p", ndir, "-c", conf, "-e", errLog,
		"-g", "daemon off; master_process off; pid "+filepath.Join(ndir, "nginx.pid")+"; error_log "+errLog+" info;")
	p.waitUntil(t, "listen on "+ready, func() bool {
		c, err := net.DialTimeout("unix", ready, time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return fileText(errLog)
}

// fileText reads a log file afresh each time it is asked.
type fileText string

func (f fileText) String() string {
	b, _ := os.ReadFile(string(f))
	return string(b)
}

// wantHostileLine is how nginx's log line for the case's upstream
// handshake starts: "" when the handshake succeeds.
func wantHostileLine(h testpki.HostileCase) string {
	switch {
	case h.TLSRefused:
		return "SSL_do_handshake() failed"
	case h.WantCode != 0:
		return fmt.Sprintf("upstream SSL certificate verify error: (%d:", h.WantCode)
	}
	return ""
}

// handshakeLine waits for the error log line about the handshake with
// upstream and returns its message; with expect false it looks once and
// returns "" if nothing was logged.
func handshakeLine(t *testing.T, log func() string, upstream string, expect bool) string {
	re := regexp.MustCompile(`(?m)\*\d+ (.+?) while SSL handshaking to upstream, .*upstream: "` + regexp.QuoteMeta(upstream) + `"`)
	for deadline := time.Now().Add(waitLimit); ; time.Sleep(10 * time.Millisecond) {
		if m := re.FindStringSubmatch(log()); m != nil {
			return m[1]
		}
		if !expect || time.Now().After(deadline) {
			return ""
		}
	}
}

// exchangeUnix sends msg to a unix socket at once and reads the echo; ""
// when the proxy closes the connection without relaying it.
func exchangeUnix(t *testing.T, path, msg string) string {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(waitLimit))
	// The proxy may already have refused the upstream and closed.
	if _, err := io.WriteString(c, msg); err != nil {
		return ""
	}
	buf := make([]byte, len(msg))
	n, _ := io.ReadFull(c, buf)
	return string(buf[:n])
}
