package interop

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/testpki"
)

// TestNginxProxySSLToListenSSL makes nginx's proxy_ssl a client of
// strait's listen ... ssl: nginx verifies strait's certificate and
// presents a client certificate, which strait verifies.
func TestNginxProxySSLToListenSSL(t *testing.T) {
	nginx := needTool(t, "nginx")
	if _, err := os.Stat(nginxStreamModule); err != nil {
		needTool(t, nginxStreamModule)
	}
	dir := t.TempDir()
	f := newTLSFront(t, dir)
	stLn, stAddr := listenAddr(t)
	startTLSFront(t, dir, fmt.Sprintf(`
    server {
        listen %s ssl;
        ssl_certificate %s; ssl_certificate_key %s;
        ssl_verify_client on;
        ssl_client_certificate %s;
        %s
    }`, stAddr, f.ecCert, f.ecKey, f.clientCA, tlsReply), stLn)

	ngLn, ngAddr := listenAddr(t)
	ndir := t.TempDir()
	conf := testpki.WriteFile(t, ndir, "nginx.conf", []byte(fmt.Sprintf(`load_module %s;
events {}
stream {
    server {
        listen %s;
        proxy_pass %s;
        proxy_ssl on;
        proxy_ssl_name front.test;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate %s;
        proxy_ssl_certificate %s;
        proxy_ssl_certificate_key %s;
    }
}
`, nginxStreamModule, ngAddr, stAddr, f.root, f.clientCert, f.clientKey)))
	launchCmd(t, true, exec.Command(nginx, "-p", ndir, "-c", conf, "-e", "stderr",
		"-g", "daemon off; worker_processes 1; pid "+filepath.Join(ndir, "nginx.pid")+"; error_log stderr info;"),
		"NGINX", ngLn)
	reply := strings.Split(strings.TrimSpace(exchange(t, ngAddr, "")), "|")
	// nginx 1.22's proxy_ssl_protocols default stops at TLSv1.2.
	if len(reply) != 8 || reply[0] != "TLSv1.2" || reply[3] != "SUCCESS" || reply[4] != f.clientSubject {
		t.Errorf("strait told nginx %q", reply)
	}
}

// TestStraitReencrypts chains strait to itself: a client presents its
// certificate to a listen ... ssl block, which proxies with proxy_ssl to
// a second listen ... ssl block under another client identity, strait's
// own. The second block sees strait, not the client.
func TestStraitReencrypts(t *testing.T) {
	dir := t.TempDir()
	f := newTLSFront(t, dir)
	id := newClientIdentity(t, dir) // strait's identity towards the back block
	frontLn, front := listenAddr(t)
	backLn, back := listenAddr(t)
	startTLSFront(t, dir, fmt.Sprintf(`
    ssl_certificate %[3]s; ssl_certificate_key %[4]s;
    server {
        listen %[1]s ssl;
        ssl_verify_client on;
        ssl_client_certificate %[5]s;
        proxy_pass %[2]s;
        proxy_ssl on;
        proxy_ssl_name front.test;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate %[6]s;
        %[7]s
    }
    server {
        listen %[2]s ssl;
        ssl_verify_client on;
        ssl_client_certificate %[8]s;
        %[9]s
    }`, front, back, f.ecCert, f.ecKey, f.clientCA, f.root, id.directives(), id.caFile, tlsReply), frontLn, backLn)

	cert, err := tls.LoadX509KeyPair(f.clientCert, f.clientKey)
	if err != nil {
		t.Fatal(err)
	}
	rootPEM, _ := os.ReadFile(f.root)
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(rootPEM)
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	d := tls.Dialer{Config: &tls.Config{RootCAs: pool, ServerName: "front.test", Certificates: []tls.Certificate{cert}}}
	c, err := d.DialContext(ctx, "tcp", front)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(waitLimit))
	b, _ := io.ReadAll(c)
	reply := strings.Split(strings.TrimSpace(string(b)), "|")
	if len(reply) != 8 || reply[3] != "SUCCESS" || reply[4] != "CN="+clientSubject+",O=strait test" {
		t.Errorf("the back block saw %q, want strait's identity", reply)
	}
}

// TestRedisCLIThroughListenSSL runs redis-cli --tls against strait, which
// verifies its certificate and re-encrypts towards redis-server under
// strait's own client identity.
func TestRedisCLIThroughListenSSL(t *testing.T) {
	server := needTool(t, "redis-server")
	cli := needTool(t, "redis-cli")
	dir := t.TempDir()
	f := newTLSFront(t, dir)
	id := newClientIdentity(t, dir)
	chain := testpki.NewChain(t, 1, testpki.Spec{DNSNames: []string{"redis.internal"}})
	cert, key, trusted := serverFiles(t, dir, "redis", chain)
	peer := startRedis(t, server, "--bind", "127.0.0.1", "--port", "0",
		"--tls-cert-file", cert, "--tls-key-file", key, "--tls-ca-cert-file", id.caFile,
		"--tls-auth-clients", "yes", "--save", "", "--appendonly", "no", "--dir", dir)
	ln, addr := listenAddr(t)
	startTLSFront(t, dir, fmt.Sprintf(`
    server {
        listen %s ssl;
        ssl_certificate %s; ssl_certificate_key %s;
        ssl_verify_client on;
        ssl_client_certificate %s;
        proxy_pass %s;
        proxy_ssl on;
        proxy_ssl_name redis.internal;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate %s;
        %s
    }`, addr, f.ecCert, f.ecKey, f.clientCA, peer, trusted, id.directives()), ln)
	host, port, _ := net.SplitHostPort(addr)
	run := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*waitLimit)
		defer cancel()
		all := append([]string{"-h", host, "-p", port, "--tls", "--cacert", f.root, "--sni", "front.test",
			"--cert", f.clientCert, "--key", f.clientKey}, args...)
		out, err := exec.CommandContext(ctx, cli, all...).CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if got := run("set", "k", "through listen ssl"); got != "OK" {
		t.Fatalf("SET replied %q", got)
	}
	if got := run("get", "k"); got != "through listen ssl" {
		t.Fatalf("GET replied %q", got)
	}
}
