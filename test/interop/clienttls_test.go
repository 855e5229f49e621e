package interop

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/server/servertest"
	"github.com/straitproxy/strait/internal/testpki"
)

// tlsFront is what the client TLS tests share: strait's server
// certificates (ECDSA and RSA from one root), a client CA with a client
// certificate, and a client certificate no configured CA issued.
type tlsFront struct {
	root                        string // trusts strait's certificates
	ecCert, ecKey               string
	rsaCert, rsaKey             string
	clientCA                    string
	clientCert, clientKey       string
	strangerCert, strangerKey   string
	clientSubject, clientIssuer string
}

func newTLSFront(t testing.TB, dir string) *tlsFront {
	t.Helper()
	root := testpki.NewRoot(t, testpki.Spec{CommonName: "Front Root"})
	ec := root.Issue(t, testpki.Spec{CommonName: "front ecdsa", DNSNames: []string{"front.test"}})
	rsa := root.Issue(t, testpki.Spec{Key: testpki.RSA, CommonName: "front rsa", DNSNames: []string{"front.test"}})
	ca := testpki.NewRoot(t, testpki.Spec{CommonName: "Front Client CA"})
	cl := ca.Issue(t, testpki.Spec{CommonName: "alice, ops", Client: true})
	stranger := testpki.SelfSigned(t, testpki.Spec{CommonName: "mallory", Client: true})
	f := &tlsFront{root: testpki.WriteCerts(t, dir, "front-root.crt", root.Cert),
		clientCA:      testpki.WriteCerts(t, dir, "front-client-ca.crt", ca.Cert),
		clientSubject: `CN=alice\, ops,O=strait test`, clientIssuer: "CN=Front Client CA,O=strait test"}
	f.ecCert, f.ecKey = testpki.WriteLeaf(t, dir, "front-ec", ec)
	f.rsaCert, f.rsaKey = testpki.WriteLeaf(t, dir, "front-rsa", rsa)
	f.clientCert, f.clientKey = testpki.WriteLeaf(t, dir, "front-client", cl)
	f.strangerCert, f.strangerKey = testpki.WriteLeaf(t, dir, "front-stranger", stranger)
	return f
}

// tlsReply is what the test servers return: the $ssl_* variables of the
// session, '|'-separated.
const tlsReply = `return "$ssl_protocol|$ssl_cipher|$ssl_session_reused|$ssl_client_verify|$ssl_client_s_dn|$ssl_client_i_dn|$ssl_alpn_protocol|$ssl_server_name\n";`

// startTLSFront serves body (server blocks) in a stream block.
func startTLSFront(t testing.TB, dir, body string, lns ...net.Listener) *servertest.Instance {
	t.Helper()
	conf := filepath.Join(dir, "strait.conf")
	if err := os.WriteFile(conf, []byte("events {} stream {\n"+body+"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return servertest.Start(t, conf, dir, lns...)
}

// sClient runs openssl s_client against addr with args and returns its
// output (stdout and stderr) and whether it exited 0.
func sClient(t testing.TB, openssl, addr string, args ...string) (string, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*waitLimit)
	defer cancel()
	all := append([]string{"s_client", "-connect", addr, "-ign_eof"}, args...)
	cmd := exec.CommandContext(ctx, openssl, all...)
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

// replyOf returns the strait reply line in s_client output.
func replyOf(out string) []string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "TLSv") {
			return strings.Split(l, "|")
		}
	}
	return nil
}

// TestOpenSSLClientThroughListenSSL drives strait's listen ... ssl with
// openssl s_client: each protocol version, a cipher the configuration
// allows and one it refuses, the certificate chosen, ALPN, client
// certificates accepted and refused with $ssl_client_verify, and
// resumption with -reconnect.
func TestOpenSSLClientThroughListenSSL(t *testing.T) {
	openssl := needTool(t, "openssl")
	dir := t.TempDir()
	f := newTLSFront(t, dir)
	lnAll, addrAll := listenAddr(t)
	lnCiph, addrCiph := listenAddr(t)
	lnOn, addrOn := listenAddr(t)
	lnNoCA, addrNoCA := listenAddr(t)
	st := startTLSFront(t, dir, fmt.Sprintf(`
    ssl_certificate %[5]s; ssl_certificate_key %[6]s;
    ssl_certificate %[7]s; ssl_certificate_key %[8]s;
    server {
        listen %[1]s ssl;
        ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;
        ssl_ciphers HIGH:!aNULL:!MD5:@SECLEVEL=0;
        ssl_alpn h2 redis;
        ssl_verify_client optional;
        ssl_client_certificate %[9]s;
        %[10]s
    }
    server {
        listen %[2]s ssl;
        ssl_protocols TLSv1.2;
        ssl_ciphers ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384;
        %[10]s
    }
    server {
        listen %[3]s ssl;
        ssl_verify_client on;
        ssl_client_certificate %[9]s;
        %[10]s
    }
    server {
        listen %[4]s ssl;
        ssl_verify_client optional_no_ca;
        %[10]s
    }`, addrAll, addrCiph, addrOn, addrNoCA, f.ecCert, f.ecKey, f.rsaCert, f.rsaKey, f.clientCA, tlsReply),
		lnAll, lnCiph, lnOn, lnNoCA)
	verify := []string{"-CAfile", f.root, "-verify_return_error", "-servername", "front.test"}

	t.Run("protocols", func(t *testing.T) {
		for _, p := range []struct{ flag, name string }{
			{"-tls1", "TLSv1"}, {"-tls1_1", "TLSv1.1"}, {"-tls1_2", "TLSv1.2"}, {"-tls1_3", "TLSv1.3"},
		} {
			args := append([]string{p.flag, "-cipher", "DEFAULT@SECLEVEL=0"}, verify...)
			out, ok := sClient(t, openssl, addrAll, args...)
			r := replyOf(out)
			if !ok || len(r) != 8 || r[0] != p.name || r[3] != "NONE" || r[7] != "front.test" {
				t.Errorf("%s: reply %q\n%s", p.name, r, out)
			}
		}
	})
	t.Run("ciphers", func(t *testing.T) {
		out, ok := sClient(t, openssl, addrCiph, append([]string{"-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"}, verify...)...)
		if r := replyOf(out); !ok || len(r) != 8 || r[1] != "ECDHE-ECDSA-AES256-GCM-SHA384" {
			t.Errorf("allowed cipher: reply %q\n%s", r, out)
		}
		out, ok = sClient(t, openssl, addrCiph, append([]string{"-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"}, verify...)...)
		if ok || !strings.Contains(out, "alert handshake failure") {
			t.Errorf("refused cipher: s_client ok=%v\n%s", ok, out)
		}
	})
	t.Run("certificate choice", func(t *testing.T) {
		out, _ := sClient(t, openssl, addrAll, append([]string{"-tls1_3"}, verify...)...)
		if !strings.Contains(out, "CN = front ecdsa") {
			t.Errorf("default: not the ECDSA certificate\n%s", out)
		}
		out, _ = sClient(t, openssl, addrAll, append([]string{"-tls1_3", "-sigalgs", "RSA-PSS+SHA256"}, verify...)...)
		if !strings.Contains(out, "CN = front rsa") {
			t.Errorf("RSA-only client: not the RSA certificate\n%s", out)
		}
	})
	t.Run("alpn", func(t *testing.T) {
		out, _ := sClient(t, openssl, addrAll, append([]string{"-alpn", "redis,h2"}, verify...)...)
		if r := replyOf(out); len(r) != 8 || r[6] != "h2" {
			t.Errorf("ALPN: reply %q\n%s", r, out)
		}
	})
	t.Run("client certificates", func(t *testing.T) {
		good := append([]string{"-cert", f.clientCert, "-key", f.clientKey}, verify...)
		stranger := append([]string{"-cert", f.strangerCert, "-key", f.strangerKey}, verify...)
		out, _ := sClient(t, openssl, addrOn, good...)
		if r := replyOf(out); len(r) != 8 || r[3] != "SUCCESS" || r[4] != f.clientSubject || r[5] != f.clientIssuer {
			t.Errorf("on, trusted: reply %q\n%s", r, out)
		}
		for _, c := range []struct {
			name string
			args []string
			log  string
		}{
			{"on, untrusted", stranger, "client SSL certificate verify error: (18:self-signed certificate) while SSL handshaking"},
			{"on, none", verify, "client sent no required SSL certificate while SSL handshaking"},
		} {
			out, _ := sClient(t, openssl, addrOn, c.args...)
			if r := replyOf(out); r != nil {
				t.Errorf("%s: served %q", c.name, r)
			}
			waitLogContains(t, st, c.log)
		}
		out, _ = sClient(t, openssl, addrNoCA, stranger...)
		if r := replyOf(out); len(r) != 8 || r[3] != "FAILED:self-signed certificate" || r[4] != "CN=mallory,O=strait test" {
			t.Errorf("optional_no_ca, untrusted: reply %q\n%s", r, out)
		}
		out, _ = sClient(t, openssl, addrAll, verify...)
		if r := replyOf(out); len(r) != 8 || r[3] != "NONE" {
			t.Errorf("optional, none: reply %q\n%s", r, out)
		}
	})
	t.Run("resumption", func(t *testing.T) {
		out, _ := sClient(t, openssl, addrAll, append([]string{"-tls1_2", "-reconnect"}, verify...)...)
		if n := strings.Count(out, "\nReused, "); n != 5 {
			t.Errorf("TLSv1.2 -reconnect: %d of 6 sessions reused, want 5\n%s", n, out)
		}
		// s_client -reconnect reconnects before a TLS 1.3 ticket arrives
		// (against OpenSSL's own s_server too): carry the session from
		// one s_client to the next instead.
		sess := filepath.Join(dir, "tls13.sess")
		reused := 0
		for i := range 6 {
			args := append([]string{"-tls1_3", "-sess_out", sess}, verify...)
			if i > 0 {
				args = append(args, "-sess_in", sess)
			}
			out, _ := sClient(t, openssl, addrAll, args...)
			if r := replyOf(out); len(r) == 8 && r[2] == "r" && strings.Contains(out, "\nReused, ") {
				reused++
			}
		}
		if reused != 5 {
			t.Errorf("TLSv1.3: %d of 6 sessions reused, want 5", reused)
		}
	})
}

// waitLogContains waits until strait's error log holds want.
func waitLogContains(t testing.TB, in *servertest.Instance, want string) {
	t.Helper()
	for deadline := time.Now().Add(waitLimit); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if strings.Contains(in.Log.String(), want) {
			return
		}
	}
	t.Fatalf("the error log does not say %q", want)
}
