package interop

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/straitproxy/strait/internal/testpki"
)

// sclientView is what openssl s_client saw of one connection.
type sclientView struct {
	OK       bool   // s_client exited 0 and the server replied
	Protocol string // "TLSv1.3"
	Cipher   string // OpenSSL name
	Subject  string // CN of the certificate served
	ALPN     string // "" when none
	Alert    string // the alert that refused the handshake, "" when none
	Reply    []string
}

var (
	reProtocol = regexp.MustCompile(`(?m)^New, (TLSv[0-9.]+), Cipher is (\S+)`)
	reSubject  = regexp.MustCompile(`(?m)^subject=.*CN = ([^,\n]+)`)
	reALPN     = regexp.MustCompile(`(?m)^ALPN protocol: (\S+)`)
	reAlert    = regexp.MustCompile(`alert ([a-z ]+?):.*SSL alert number (\d+)`)
)

func viewOf(out string, ok bool) sclientView {
	v := sclientView{Reply: replyOf(out)}
	v.OK = ok && v.Reply != nil
	if m := reProtocol.FindStringSubmatch(out); m != nil {
		v.Protocol, v.Cipher = m[1], m[2]
	}
	if m := reSubject.FindStringSubmatch(out); m != nil {
		v.Subject = m[1]
	}
	if m := reALPN.FindStringSubmatch(out); m != nil {
		v.ALPN = m[1]
	}
	if m := reAlert.FindStringSubmatch(out); m != nil {
		v.Alert = m[1] + " (" + m[2] + ")"
	}
	return v
}

// TestClientTLSAgreesWithNginx serves one listen ... ssl configuration
// with nginx and with strait and compares what openssl s_client sees of
// each: protocol, cipher, the certificate chosen, ALPN, the alert that
// refuses a handshake, and the $ssl_* variables the server returns.
// Where strait differs on purpose (crypto/tls orders suites itself), the
// case says so and checks strait's own answer.
func TestClientTLSAgreesWithNginx(t *testing.T) {
	openssl := needTool(t, "openssl")
	nginx := needTool(t, "nginx")
	if _, err := os.Stat(nginxStreamModule); err != nil {
		needTool(t, nginxStreamModule)
	}
	dir := t.TempDir()
	f := newTLSFront(t, dir)
	ngLn, ngAddr := listenAddr(t)
	stLn, stAddr := listenAddr(t)
	server := func(addr string) string {
		return fmt.Sprintf(`
    server {
        listen %s ssl;
        ssl_certificate %s; ssl_certificate_key %s;
        ssl_certificate %s; ssl_certificate_key %s;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_ciphers ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256;
        ssl_alpn h2 redis;
        ssl_verify_client optional;
        ssl_client_certificate %s;
        %s
    }`, addr, f.ecCert, f.ecKey, f.rsaCert, f.rsaKey, f.clientCA, tlsReply)
	}
	ndir := t.TempDir()
	conf := testpki.WriteFile(t, ndir, "nginx.conf", []byte(fmt.Sprintf("load_module %s;\nevents {}\nstream {%s\n}\n",
		nginxStreamModule, server(ngAddr))))
	launchCmd(t, true, exec.Command(nginx, "-p", ndir, "-c", conf, "-e", "stderr",
		"-g", "daemon off; worker_processes 1; pid "+filepath.Join(ndir, "nginx.pid")+"; error_log stderr info;"),
		"NGINX", ngLn)
	startTLSFront(t, dir, server(stAddr), stLn)

	verify := []string{"-CAfile", f.root, "-verify_return_error", "-servername", "front.test"}
	client := []string{"-cert", f.clientCert, "-key", f.clientKey}
	cases := []struct {
		name string
		args []string
		// differs names the fields strait answers differently from nginx
		// on purpose; want then holds strait's expected value for them.
		differs string
		want    sclientView
	}{
		{name: "TLSv1.3 default", args: []string{"-tls1_3"},
			// OpenSSL's server takes the client's first suite
			// (AES-256); crypto/tls its own order (AES-128 first).
			differs: "cipher", want: sclientView{Cipher: "TLS_AES_128_GCM_SHA256"}},
		{name: "TLSv1.2 default", args: []string{"-tls1_2"},
			differs: "cipher", want: sclientView{Cipher: "ECDHE-ECDSA-AES128-GCM-SHA256"}},
		{name: "TLSv1.2 one cipher", args: []string{"-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"}},
		{name: "TLSv1.2 RSA only", args: []string{"-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384"}},
		{name: "TLSv1.3 RSA signatures only", args: []string{"-tls1_3", "-sigalgs", "rsa_pss_rsae_sha256"},
			differs: "cipher", want: sclientView{Cipher: "TLS_AES_128_GCM_SHA256"}},
		{name: "ALPN", args: []string{"-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384", "-alpn", "redis,h2"}},
		{name: "ALPN second choice", args: []string{"-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384", "-alpn", "redis"}},
		{name: "ALPN refused", args: []string{"-tls1_2", "-alpn", "imap"}},
		{name: "client certificate TLSv1.2", args: append([]string{"-tls1_2", "-cipher", "ECDHE-ECDSA-AES256-GCM-SHA384"}, client...)},
		// Not compared at TLS 1.3: nginx 1.22 closes such a session
		// before its return value reaches s_client (TestOpenSSLClient-
		// ThroughListenSSL checks strait's answer).
		{name: "refused protocol", args: []string{"-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"}},
		{name: "refused cipher", args: []string{"-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ng := viewOf(sClient(t, openssl, ngAddr, append(c.args, verify...)...))
			st := viewOf(sClient(t, openssl, stAddr, append(c.args, verify...)...))
			if strings.Contains(c.differs, "cipher") {
				if st.Cipher != c.want.Cipher {
					t.Errorf("strait chose %s, want %s (nginx: %s)", st.Cipher, c.want.Cipher, ng.Cipher)
				}
				ng.Cipher, st.Cipher = "", ""
				// $ssl_cipher follows the cipher.
				if len(ng.Reply) > 1 && len(st.Reply) > 1 {
					ng.Reply[1], st.Reply[1] = "", ""
				}
			}
			if fmt.Sprint(ng) != fmt.Sprint(st) {
				t.Errorf("s_client sees\nnginx:  %+v\nstrait: %+v", ng, st)
			}
			t.Logf("nginx: %+v", ng)
		})
	}
}
