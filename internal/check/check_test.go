package check

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/straittest"
	"github.com/straitproxy/strait/internal/testpki"
)

// serveTLS runs a TLS upstream that reads until the client leaves.
func serveTLS(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	return straittest.ServeTCP(t, func(c net.Conn) {
		tc := tls.Server(c, cfg)
		if tc.Handshake() != nil {
			return
		}
		io.Copy(io.Discard, tc)
	})
}

// load writes a stream block body to strait.conf in dir and loads it.
func load(t *testing.T, dir, body string) *config.Config {
	t.Helper()
	conf := filepath.Join(dir, "strait.conf")
	if err := os.WriteFile(conf, []byte("events {} stream {\n"+body+"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(config.LoadOptions{File: conf})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func run(t *testing.T, cfg *config.Config) *Report {
	t.Helper()
	rep, err := Run(context.Background(), cfg, Options{ReadWait: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestGroup(t *testing.T) {
	dir := t.TempDir()
	chain := testpki.NewChain(t, 1, testpki.Spec{CommonName: "backend", DNSNames: []string{"backend"}})
	client := testpki.NewChain(t, 0, testpki.Spec{CommonName: "strait", Client: true})
	dayAgo := time.Now().Add(-24 * time.Hour)
	expired := chain.Issuer().Issue(t, testpki.Spec{DNSNames: []string{"backend"}, NotBefore: dayAgo.Add(-time.Hour), NotAfter: dayAgo})
	pool := x509.NewCertPool()
	pool.AddCert(client.Root.Cert)
	mtls := func(l *testpki.Leaf) *tls.Config {
		return &tls.Config{Certificates: []tls.Certificate{l.TLSCertificate()},
			ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	}
	good := serveTLS(t, mtls(chain.Leaf))
	// The backup is a server of its own: peers are checked at once, and
	// two peers on one address share its session cache, so one could
	// resume the other's session and see no certificate request.
	spare := serveTLS(t, mtls(chain.Leaf))
	bad := serveTLS(t, mtls(expired))
	refused := straittest.RefusedAddr(t)
	certFile, keyFile := testpki.WriteLeaf(t, dir, "client", client.Leaf)
	trusted := testpki.WriteCerts(t, dir, "root.crt", chain.Root.Cert)
	cfg := load(t, dir, fmt.Sprintf(`
    upstream backend {
        server %s;
        server %s;
        server %s;
        server 127.0.0.1:1 down;
        server %s backup;
    }
    server {
        listen 127.0.0.1:1;
        proxy_pass backend;
        proxy_connect_timeout 5s;
        proxy_ssl on;
        proxy_ssl_name backend;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate %s;
        proxy_ssl_certificate %s;
        proxy_ssl_certificate_key %s;
    }
    server {
        listen 127.0.0.1:2;
        proxy_pass 127.0.0.1:3;
    }`, good, bad, refused, spare, trusted, certFile, keyFile))
	rep := run(t, cfg)
	if rep.OK || len(rep.Servers) != 1 {
		t.Fatalf("report ok=%v with %d servers, want a failure in the one TLS server", rep.OK, len(rep.Servers))
	}
	s := rep.Servers[0]
	if s.Upstream != "backend" || s.Name != "backend" || !s.Verify || len(s.Peers) != 5 {
		t.Fatalf("server %+v", s)
	}
	ok, exp, ref, down, backup := s.Peers[0], s.Peers[1], s.Peers[2], s.Peers[3], s.Peers[4]
	if !ok.OK || ok.Connect != "ok" || ok.TLS == nil || ok.TLS.Protocol != "TLSv1.3" || ok.Verify != "OK" ||
		len(ok.Chain) != 2 || ok.Chain[0].Subject != "CN=backend,O=strait test" || ok.Resumed == nil || !*ok.Resumed {
		t.Errorf("good peer %+v", ok)
	}
	if cc := ok.ClientCertificate; !cc.Requested || !cc.Sent || cc.Accepted == nil || !*cc.Accepted {
		t.Errorf("good peer's client certificate %+v", cc)
	}
	if want := "upstream SSL certificate verify error: (10:certificate has expired) while SSL handshaking to upstream"; exp.OK ||
		exp.Error != want || exp.Stage != "handshake" || exp.Verify != "certificate has expired" || len(exp.Chain) != 2 || exp.Resumed != nil {
		t.Errorf("expired peer %+v, want %q", exp, want)
	}
	if want := "connect() failed (111: Connection refused)"; ref.OK || ref.Connect != want ||
		ref.Error != want+" while connecting to upstream" || ref.Stage != "connect" || ref.TLS != nil {
		t.Errorf("refused peer %+v", ref)
	}
	if !down.Down || down.Connect != "" {
		t.Errorf("down peer %+v, want it skipped", down)
	}
	if !backup.Backup || !backup.OK {
		t.Errorf("backup peer %+v", backup)
	}
	if failed, checked := rep.Failed(); failed != 2 || checked != 4 {
		t.Errorf("failed %d of %d, want 2 of 4", failed, checked)
	}

	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"-> backend\n  name \"backend\", verify on\n",
		"    connect      ok\n    tls          TLSv1.3 ",
		"    chain        0 subject  CN=backend,O=strait test\n",
		"    client cert  requested, sent, accepted\n    resumption   resumed\n    result       ok\n",
		"    result       FAILED: upstream SSL certificate verify error: (10:certificate has expired) while SSL handshaking to upstream\n",
		"    connect      connect() failed (111: Connection refused)\n",
		"    skipped      marked down\n",
		"\nFAILED: 2 of 4 peers\n",
	} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}
	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back.Version != SchemaVersion || back.OK || len(back.Servers[0].Peers) != 5 {
		t.Errorf("JSON report does not read back: %v\n%s", err, js.String())
	}
}

// TestClientCertificateRefusedAfterHandshake: a TLS 1.3 upstream refuses a
// missing client certificate only after strait's handshake is done; check
// reads once to see the alert, as a session would on its first read.
func TestClientCertificateRefusedAfterHandshake(t *testing.T) {
	dir := t.TempDir()
	chain := testpki.NewChain(t, 0, testpki.Spec{DNSNames: []string{"backend"}})
	pool := x509.NewCertPool()
	pool.AddCert(chain.Root.Cert)
	for _, proto := range []string{"TLSv1.2", "TLSv1.3"} {
		t.Run(proto, func(t *testing.T) {
			addr := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{chain.Leaf.TLSCertificate()},
				ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool})
			cfg := load(t, dir, fmt.Sprintf(`server {
        listen 127.0.0.1:1;
        proxy_pass %s;
        proxy_ssl on;
        proxy_ssl_protocols %s;
        proxy_ssl_name backend;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate %s;
    }`, addr, proto, testpki.WriteCerts(t, dir, "root.crt", chain.Root.Cert)))
			p := run(t, cfg).Servers[0].Peers[0]
			want := map[string]string{
				"TLSv1.2": "SSL_do_handshake() failed (SSL: error:0A000410:SSL routines::sslv3 alert handshake failure:SSL alert number 40) while SSL handshaking to upstream",
				"TLSv1.3": "SSL_read() failed (SSL: error:0A00045C:SSL routines::tlsv13 alert certificate required:SSL alert number 116) while proxying and reading from upstream",
			}[proto]
			cc := p.ClientCertificate
			if p.OK || p.Error != want || !cc.Requested || cc.Sent || cc.Accepted == nil || *cc.Accepted {
				t.Errorf("peer %+v, client certificate %+v; want refused with %q", p, cc, want)
			}
		})
	}
}

func TestPinMismatchReported(t *testing.T) {
	dir := t.TempDir()
	chain := testpki.NewChain(t, 1, testpki.Spec{DNSNames: []string{"backend"}})
	other := testpki.NewRoot(t, testpki.Spec{})
	addr := serveTLS(t, &tls.Config{Certificates: []tls.Certificate{chain.Leaf.TLSCertificate()}})
	block := `server {
        listen 127.0.0.1:1;
        proxy_pass %s;
        proxy_ssl on;
        proxy_ssl_name backend;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate %s;
        proxy_ssl_pin_sha256 %s;
    }`
	trusted := testpki.WriteCerts(t, dir, "root.crt", chain.Root.Cert)
	rep := run(t, load(t, dir, fmt.Sprintf(block, addr, trusted, pinOf(other.Cert))))
	p := rep.Servers[0].Peers[0]
	want := "upstream SSL certificate pin mismatch: no certificate of the chain matches proxy_ssl_pin_sha256 while SSL handshaking to upstream"
	if p.OK || p.Error != want || p.Verify != "pin mismatch" || len(p.Chain) != 2 {
		t.Errorf("peer %+v, want %q", p, want)
	}
	// The report shows each certificate's pin, ready to be copied.
	rep = run(t, load(t, dir, fmt.Sprintf(block, addr, trusted, p.Chain[1].PinSHA256)))
	if p := rep.Servers[0].Peers[0]; !p.OK || rep.Servers[0].Pins[0] != p.Chain[1].PinSHA256 {
		t.Errorf("pinning the intermediate the report showed: %+v", p)
	}
}

func pinOf(c *x509.Certificate) string {
	sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}
