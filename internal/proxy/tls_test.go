package proxy

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/accesslog"
	"github.com/straitproxy/strait/internal/straittest"
)

// selfSigned makes a certificate for 127.0.0.1.
func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// goHandshake is a HandshakeFunc over crypto/tls, standing in for tlsconf.
func goHandshake(cfg *tls.Config) HandshakeFunc {
	return func(ctx context.Context, conn net.Conn, peer string, _ *accesslog.Session) (*tls.Conn, accesslog.UpstreamSSL, error) {
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, accesslog.UpstreamSSL{Used: true}, err
		}
		st := tc.ConnectionState()
		return tc, accesslog.UpstreamSSL{Used: true, Protocol: tls.VersionName(st.Version), Cipher: tls.CipherSuiteName(st.CipherSuite)}, nil
	}
}

func TestTLSUpstreamHalfClose(t *testing.T) {
	cert := selfSigned(t)
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	up := straittest.ServeTCP(t, func(c net.Conn) {
		tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool})
		defer tc.Close()
		got, err := io.ReadAll(tc) // until the proxy passes the client's EOF on
		if err != nil {
			return
		}
		io.WriteString(tc, "reply to "+string(got))
	})
	h := &Handler{Group: newGroup(t, spec(up, 1)), Proxy: testProxyConfig(), NoDelay: true, Buffers: NewBufferPool(16 << 10),
		Handshake: goHandshake(&tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, ServerName: "127.0.0.1"})}
	h.Proxy.HalfClose = true
	tp := startProxy(t, h)
	c := straittest.Dial(t, tp.addr)
	defer c.Close()
	io.WriteString(c, "hello")
	c.(*net.TCPConn).CloseWrite()
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "reply to hello" {
		t.Fatalf("got %q, %v", got, err)
	}
	rec := tp.record(t)
	if rec.Status != 200 || !rec.SSL.Used || rec.SSL.Protocol != "TLS 1.3" {
		t.Errorf("record %+v", rec)
	}
	if a := rec.Attempts[0]; a.BytesSent != 5 || a.BytesReceived != int64(len(got)) {
		t.Errorf("attempt bytes %d/%d", a.BytesSent, a.BytesReceived)
	}
}

// recorder keeps every byte an upstream received.
type recorder struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (r *recorder) bytes() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Clone(r.b.Bytes())
}

func TestHandshakeFailureMovesOnWithoutLeakingClientBytes(t *testing.T) {
	cert := selfSigned(t)
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	var seen recorder
	// The first peer is not a TLS server: it answers the ClientHello with
	// garbage, so the handshake fails.
	bad := straittest.ServeTCP(t, func(c net.Conn) {
		buf := make([]byte, 4096)
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, _ := c.Read(buf)
		seen.mu.Lock()
		seen.b.Write(buf[:n])
		seen.mu.Unlock()
		io.WriteString(c, "HTTP/1.0 400 Bad Request\r\n\r\n")
		rest, _ := io.ReadAll(c)
		seen.mu.Lock()
		seen.b.Write(rest)
		seen.mu.Unlock()
	})
	good := straittest.ServeTCP(t, func(c net.Conn) {
		tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}})
		defer tc.Close()
		io.Copy(tc, tc)
	})
	h := &Handler{Group: newGroup(t, spec(bad, 1), spec(good, 1)), Proxy: testProxyConfig(), NoDelay: true,
		Handshake: goHandshake(&tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})}
	tp := startProxy(t, h)
	c := straittest.Dial(t, tp.addr)
	defer c.Close()
	io.WriteString(c, "SECRET-PAYLOAD") // sent before any upstream is chosen
	got := make([]byte, len("SECRET-PAYLOAD"))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	c.Close()
	rec := tp.record(t)
	if rec.Status != 200 || len(rec.Attempts) != 2 || rec.Attempts[0].Connected {
		t.Errorf("status %d attempts %+v", rec.Status, rec.Attempts)
	}
	raw := seen.bytes()
	if len(raw) == 0 || raw[0] != 0x16 || bytes.Contains(raw, []byte("SECRET")) {
		t.Errorf("failing upstream saw %q, want only a ClientHello", raw)
	}
	if !strings.Contains(tp.log.String(), "while SSL handshaking to upstream") {
		t.Errorf("log:\n%s", tp.log)
	}
}
