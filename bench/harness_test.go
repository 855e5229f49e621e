//go:build linux

package main

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func testRoutes() (routeTable, map[string]string) {
	routes := routeTable{
		"a-tls":   {ID: "a-tls", Upstream: "127.0.0.1:7001", TLS: true, Reuse: true},
		"b-full":  {ID: "b-full", Upstream: "127.0.0.1:7002", TLS: true},
		"c-plain": {ID: "c-plain", Upstream: "127.0.0.1:7003"},
	}
	listen := map[string]string{"a-tls": "127.0.0.1:8001", "b-full": "127.0.0.1:8002", "c-plain": "127.0.0.1:8003"}
	return routes, listen
}

func TestNginxConfigHasEquivalentTLSSettings(t *testing.T) {
	routes, listen := testRoutes()
	pki := &pkiFiles{CA: "/p/ca.pem", ClientCert: "/p/client.pem", ClientKey: "/p/client.key"}
	conf := nginxConfig("load_module x.so;\n", "/d", limitsFor(20000), routes, listen, pki)
	for _, want := range []string{
		"load_module x.so;\ndaemon off;",
		"worker_processes auto;",
		"worker_rlimit_nofile 20000;",
		"worker_connections 19900;",
		"listen 127.0.0.1:8001;\n        proxy_pass 127.0.0.1:7001;\n        proxy_ssl on;",
		"proxy_ssl_certificate /p/client.pem;",
		"proxy_ssl_certificate_key /p/client.key;",
		"proxy_ssl_trusted_certificate /p/ca.pem;",
		"proxy_ssl_verify on;",
		"proxy_ssl_name upstream.bench;",
		"proxy_ssl_session_reuse on;",
		"proxy_ssl_session_reuse off;",
		"listen 127.0.0.1:8003;\n        proxy_pass 127.0.0.1:7003;\n    }",
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("nginx config lacks %q:\n%s", want, conf)
		}
	}
	if strings.Count(conf, "proxy_ssl on;") != 2 {
		t.Errorf("want TLS on exactly the two TLS routes:\n%s", conf)
	}
}

func TestHAProxyConfigHasEquivalentTLSSettings(t *testing.T) {
	routes, listen := testRoutes()
	pki := &pkiFiles{CA: "/p/ca.pem", ClientBundle: "/p/bundle.pem"}
	conf := haproxyConfig(2, limitsFor(20000), routes, listen, pki)
	for _, want := range []string{
		"nbthread 2", "maxconn 9950", "mode tcp",
		"listen a-tls\n    bind 127.0.0.1:8001\n    server s1 127.0.0.1:7001 ssl verify required ca-file /p/ca.pem crt /p/bundle.pem sni str(upstream.bench) verifyhost upstream.bench ssl-min-ver TLSv1.3\n",
		"server s1 127.0.0.1:7002 ssl verify required ca-file /p/ca.pem crt /p/bundle.pem sni str(upstream.bench) verifyhost upstream.bench ssl-min-ver TLSv1.3 no-ssl-reuse\n",
		"listen c-plain\n    bind 127.0.0.1:8003\n    server s1 127.0.0.1:7003\n",
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("haproxy config lacks %q:\n%s", want, conf)
		}
	}
}

// TestGoUpstreamCountsResumption checks the upstream that reports the
// resumed share: a client with a session cache resumes its second
// connection, and the PING and sink protocols answer.
func TestGoUpstreamCountsResumption(t *testing.T) {
	pki, err := writePKI(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ping, err := startGoUpstream(kindPing, pki.serverTLS())
	if err != nil {
		t.Fatal(err)
	}
	defer ping.Close()
	in := &instance{
		routes:  routeTable{"p": {ID: "p", Upstream: ping.Addr(), TLS: true, Reuse: true}},
		listen:  map[string]string{"p": ping.Addr()},
		pki:     pki,
		resumes: map[string]*tls.Config{"p": pki.clientTLS(true)},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := range 2 {
		if err := pingOnce(ctx, in, "p"); err != nil {
			t.Fatalf("ping %d: %v", i, err)
		}
	}
	if got := ping.Handshakes(); got != (handshakeCount{Total: 2, Resumed: 1}) || got.ResumedShare() != 50 {
		t.Fatalf("handshakes = %+v, want 2 with 1 resumed", got)
	}
	if kx := mostUsedKeyExchange(nil, ping.KeyExchanges()); kx == "" {
		t.Error("no key exchange recorded")
	}

	sink, err := startGoUpstream(kindSink, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	c, err := net.DialTimeout("tcp", sink.Addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	var hdr [8]byte
	binary.BigEndian.PutUint64(hdr[:], 3)
	if _, err := c.Write(append(hdr[:], "abc"...)); err != nil {
		t.Fatal(err)
	}
	var ack [1]byte
	if _, err := io.ReadFull(c, ack[:]); err != nil || ack[0] != 1 {
		t.Fatalf("sink ack %v, %v", ack, err)
	}
}

func TestMostUsedKeyExchange(t *testing.T) {
	before := map[tls.CurveID]int64{tls.X25519: 5, tls.X25519MLKEM768: 1}
	after := map[tls.CurveID]int64{tls.X25519: 7, tls.X25519MLKEM768: 4, tls.CurveP256: 1}
	if got := mostUsedKeyExchange(before, after); got != tls.X25519MLKEM768.String() {
		t.Errorf("got %q, want the group with the largest growth", got)
	}
	if got := mostUsedKeyExchange(after, after); got != "" {
		t.Errorf("no handshakes between readings, got %q", got)
	}
}
