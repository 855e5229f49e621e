package proxy

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/straitproxy/strait/internal/straittest"
)

// TestUpstreamRefusingClientCertificateAfterHandshakeIsLogged covers TLS
// 1.3, where an upstream rejects a missing client certificate only after
// the client's side of the handshake has finished: the alert arrives on
// the first read, and must be logged in nginx's (OpenSSL's) words rather
// than pass as an ordinary disconnect.
func TestUpstreamRefusingClientCertificateAfterHandshakeIsLogged(t *testing.T) {
	cert := selfSigned(t)
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	up := straittest.ServeTCP(t, func(c net.Conn) {
		tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool})
		defer tc.Close()
		io.Copy(io.Discard, tc)
	})
	h := &Handler{Group: newGroup(t, spec(up, 1)), Proxy: testProxyConfig(), NoDelay: true, Buffers: NewBufferPool(16 << 10),
		Handshake: goHandshake(&tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS13})}
	tp := startProxy(t, h)
	c := straittest.Dial(t, tp.addr)
	defer c.Close()
	io.WriteString(c, "hello")
	io.ReadAll(c)
	tp.record(t)
	log := tp.log.String()
	// certificate_required is not among the alerts nginx lowers to the
	// connection's level, so it logs at crit.
	want := "[crit]"
	if !strings.Contains(log, want) || !strings.Contains(log, "SSL_read() failed (SSL: error:0A00045C:SSL routines::tlsv13 alert certificate required:SSL alert number 116) while proxying and reading from upstream") {
		t.Errorf("error log lacks the upstream's refusal:\n%s", log)
	}
}
