package interop

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/testpki"
)

// payload is what a client sends the moment it is connected, before any
// upstream is chosen; a rejected upstream must never see it.
const payload = "CLIENT-SECRET-PAYLOAD\n"

// verifyCase is one upstream certificate against one server block.
type verifyCase struct {
	name string
	// peer returns the upstream's certificate and the PEM files strait
	// trusts (roots, then CRLs).
	peer func(t *testing.T) (cert *testpki.Leaf, trusted []*x509.Certificate, crls [][]byte)
	// sslName is proxy_ssl_name; "" leaves the default (the host part of
	// proxy_pass, here 127.0.0.1).
	sslName string
	extra   string // more directives for the server block
	verify  string // "on" (default) or "off"
	wantErr string // nginx's words for the rejection, "" when accepted
}

func verifyErr(code int, reason string) string {
	return fmt.Sprintf("upstream SSL certificate verify error: (%d:%s)", code, reason)
}

func nameErr(name string) string {
	return fmt.Sprintf("upstream SSL certificate does not match %q", name)
}

// chainPeer serves a leaf for dns under n intermediates and trusts the root.
func chainPeer(n int, s testpki.Spec) func(t *testing.T) (*testpki.Leaf, []*x509.Certificate, [][]byte) {
	return func(t *testing.T) (*testpki.Leaf, []*x509.Certificate, [][]byte) {
		c := testpki.NewChain(t, n, s)
		return c.Leaf, []*x509.Certificate{c.Root.Cert}, nil
	}
}

// crlPeer serves a leaf under one intermediate with CRLs for the chosen
// levels: the root's CRL covers the intermediate, the intermediate's the
// leaf.
func crlPeer(rootCRL, interCRL, revokeLeaf bool) func(t *testing.T) (*testpki.Leaf, []*x509.Certificate, [][]byte) {
	return func(t *testing.T) (*testpki.Leaf, []*x509.Certificate, [][]byte) {
		c := testpki.NewChain(t, 1, testpki.Spec{DNSNames: []string{"backend"}})
		var crls [][]byte
		if rootCRL {
			crls = append(crls, c.Root.CRL(t, testpki.CRLSpec{}))
		}
		if interCRL {
			var revoked []*big.Int
			if revokeLeaf {
				revoked = append(revoked, c.Leaf.Cert.SerialNumber)
			}
			crls = append(crls, c.Issuer().CRL(t, testpki.CRLSpec{Revoked: revoked}))
		}
		return c.Leaf, []*x509.Certificate{c.Root.Cert}, crls
	}
}

func verifyCases() []verifyCase {
	backend := testpki.Spec{DNSNames: []string{"backend"}}
	dayAgo, hourAgo := time.Now().Add(-24*time.Hour), time.Now().Add(-time.Hour)
	var cases []verifyCase
	// OpenSSL's depth: N accepts up to N intermediates between leaf and
	// root; a longer chain cannot reach the trusted root within the limit.
	for n := 0; n <= 3; n++ {
		for depth := 0; depth <= 3; depth++ {
			vc := verifyCase{
				name:    fmt.Sprintf("chain_%d_intermediates_depth_%d", n, depth),
				peer:    chainPeer(n, backend),
				sslName: "backend",
				extra:   fmt.Sprintf("proxy_ssl_verify_depth %d;", depth),
			}
			if n > depth {
				vc.wantErr = verifyErr(20, "unable to get local issuer certificate")
			}
			cases = append(cases, vc)
		}
	}
	untrusted := func(t *testing.T) (*testpki.Leaf, []*x509.Certificate, [][]byte) {
		c := testpki.NewChain(t, 1, backend)
		other := testpki.NewRoot(t, testpki.Spec{CommonName: "Some Other Root"})
		return c.Leaf, []*x509.Certificate{other.Cert}, nil
	}
	selfSigned := func(t *testing.T) (*testpki.Leaf, []*x509.Certificate, [][]byte) {
		other := testpki.NewRoot(t, testpki.Spec{CommonName: "Some Other Root"})
		return testpki.SelfSigned(t, backend), []*x509.Certificate{other.Cert}, nil
	}
	wildcard := testpki.Spec{DNSNames: []string{"*.example.com"}}
	cases = append(cases,
		verifyCase{name: "untrusted_ca", peer: untrusted, sslName: "backend",
			wantErr: verifyErr(20, "unable to get local issuer certificate")},
		verifyCase{name: "self_signed", peer: selfSigned, sslName: "backend",
			wantErr: verifyErr(18, "self-signed certificate")},
		verifyCase{name: "expired", sslName: "backend",
			peer:    chainPeer(1, testpki.Spec{DNSNames: []string{"backend"}, NotBefore: dayAgo.Add(-time.Hour), NotAfter: dayAgo}),
			wantErr: verifyErr(10, "certificate has expired")},
		verifyCase{name: "not_yet_valid", sslName: "backend",
			peer:    chainPeer(1, testpki.Spec{DNSNames: []string{"backend"}, NotBefore: time.Now().Add(time.Hour), NotAfter: time.Now().Add(48 * time.Hour)}),
			wantErr: verifyErr(9, "certificate is not yet valid")},
		verifyCase{name: "wrong_name", peer: chainPeer(1, backend), sslName: "x", wantErr: nameErr("x")},
		verifyCase{name: "default_name_is_proxy_pass_host", peer: chainPeer(1, backend), wantErr: nameErr("127.0.0.1")},
		verifyCase{name: "wildcard_match", peer: chainPeer(1, wildcard), sslName: "db.example.com"},
		verifyCase{name: "wildcard_two_labels", peer: chainPeer(1, wildcard), sslName: "a.db.example.com", wantErr: nameErr("a.db.example.com")},
		verifyCase{name: "wildcard_bare_domain", peer: chainPeer(1, wildcard), sslName: "example.com", wantErr: nameErr("example.com")},
		verifyCase{name: "cn_only", peer: chainPeer(1, testpki.Spec{CommonName: "backend"}), sslName: "backend"},
		verifyCase{name: "cn_ignored_beside_dns_san", peer: chainPeer(1, testpki.Spec{CommonName: "backend", DNSNames: []string{"other.example"}}),
			sslName: "backend", wantErr: nameErr("backend")},
		verifyCase{name: "ip_san", peer: chainPeer(1, testpki.Spec{IPs: []net.IP{net.IPv4(127, 0, 0, 1)}}), sslName: "127.0.0.1"},
		verifyCase{name: "ip_san_default_name", peer: chainPeer(1, testpki.Spec{IPs: []net.IP{net.IPv4(127, 0, 0, 1)}})},
		verifyCase{name: "ip_san_other_address", peer: chainPeer(1, testpki.Spec{IPs: []net.IP{net.IPv4(127, 0, 0, 2)}}),
			sslName: "127.0.0.1", wantErr: nameErr("127.0.0.1")},
		verifyCase{name: "crl_current", peer: crlPeer(true, true, false), sslName: "backend"},
		verifyCase{name: "crl_revoked", peer: crlPeer(true, true, true), sslName: "backend",
			wantErr: verifyErr(23, "certificate revoked")},
		verifyCase{name: "crl_missing_for_root_level", peer: crlPeer(false, true, false), sslName: "backend",
			wantErr: verifyErr(3, "unable to get certificate CRL")},
		verifyCase{name: "crl_missing_for_leaf_level", peer: crlPeer(true, false, false), sslName: "backend",
			wantErr: verifyErr(3, "unable to get certificate CRL")},
	)
	// verify off lets every one of the bad certificates through.
	offPeers := map[string]func(t *testing.T) (*testpki.Leaf, []*x509.Certificate, [][]byte){
		"untrusted": untrusted, "self_signed": selfSigned,
		"expired":    chainPeer(1, testpki.Spec{DNSNames: []string{"backend"}, NotBefore: dayAgo.Add(-time.Hour), NotAfter: hourAgo}),
		"wrong_name": chainPeer(1, testpki.Spec{DNSNames: []string{"other.example"}}),
		"too_deep":   chainPeer(3, backend),
	}
	for name, peer := range offPeers {
		cases = append(cases, verifyCase{name: "verify_off_" + name, peer: peer, sslName: "backend", verify: "off"})
	}
	return cases
}

// TestVerificationThroughStrait runs every verification case through a
// real strait in front of a Go TLS upstream that requires strait's client
// certificate.
func TestVerificationThroughStrait(t *testing.T) {
	dir := t.TempDir()
	id := newClientIdentity(t, dir)
	for _, vc := range verifyCases() {
		t.Run(vc.name, func(t *testing.T) {
			t.Parallel()
			runVerifyCase(t, id, vc)
		})
	}
}

func runVerifyCase(t *testing.T, id *clientIdentity, vc verifyCase) {
	dir := t.TempDir()
	leaf, trusted, crls := vc.peer(t)
	peer := startGoPeer(t, &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate()}}, id.pool)

	verify := vc.verify
	if verify == "" {
		verify = "on"
	}
	ln, addr := listenAddr(t)
	var block strings.Builder
	fmt.Fprintf(&block, "server {\n    listen %s;\n    proxy_pass %s;\n    proxy_ssl on;\n    %s", addr, peer.addr, id.directives())
	fmt.Fprintf(&block, "    proxy_ssl_verify %s;\n    proxy_ssl_trusted_certificate %s;\n", verify,
		testpki.WriteCerts(t, dir, "trusted.crt", trusted...))
	if len(crls) > 0 {
		fmt.Fprintf(&block, "    proxy_ssl_crl %s;\n", testpki.WriteFile(t, dir, "crl.pem", bytes.Join(crls, nil)))
	}
	if vc.sslName != "" {
		fmt.Fprintf(&block, "    proxy_ssl_name %s;\n", vc.sslName)
	}
	fmt.Fprintf(&block, "    %s\n}\n", vc.extra)
	st := startStrait(t, dir, block.String(), ln)

	reply := exchangeEcho(t, st.Addr(t), payload)
	rec := st.records(t, 1)[0]
	app, raw, _ := peer.received()
	if vc.wantErr == "" {
		if reply != payload || rec.Status != "200" {
			t.Fatalf("reply %q, record %+v; want the payload echoed and status 200", reply, rec)
		}
		wantVerify := map[string]string{"on": "OK", "off": "NONE"}[verify]
		if rec.Verify != wantVerify || rec.Protocol != "TLSv1.3" {
			t.Errorf("record %+v, want verify %s over TLSv1.3", rec, wantVerify)
		}
		return
	}
	if reply != "" || rec.Status != "502" {
		t.Errorf("reply %q, record %+v; want nothing and status 502", reply, rec)
	}
	if want := verifyVariable(vc.wantErr); rec.Verify != want {
		t.Errorf("$upstream_ssl_verify = %q, want %q", rec.Verify, want)
	}
	if len(app) != 0 || bytes.Contains(raw, []byte("SECRET")) {
		t.Errorf("rejected upstream received client data: app %q", app)
	}
	if len(raw) == 0 || raw[0] != 0x16 {
		t.Errorf("upstream did not even see a ClientHello: %q", raw)
	}
	wantLine := vc.wantErr + " while SSL handshaking to upstream"
	if !strings.Contains(st.Log.String(), wantLine) {
		t.Errorf("error log lacks %q:\n%s", wantLine, st.Log)
	}
}

// verifyVariable is what $upstream_ssl_verify says for a rejection logged
// as errText: the reason of a verify error, "hostname mismatch" for a name.
func verifyVariable(errText string) string {
	if _, reason, ok := strings.Cut(errText, "verify error: ("); ok {
		_, reason, _ = strings.Cut(strings.TrimSuffix(reason, ")"), ":")
		return reason
	}
	return "hostname mismatch"
}

// exchangeEcho sends msg at once and reads the echo; it returns "" when
// strait closes the connection first.
func exchangeEcho(t testing.TB, addr, msg string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(waitLimit))
	if _, err := io.WriteString(c, msg); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len(msg))
	n, err := io.ReadFull(c, buf)
	if err != nil && n == 0 {
		return ""
	}
	return string(buf[:n])
}

// TestNextUpstreamAfterVerificationFailure: the first peer of a group
// fails verification, the second is good; the client never notices.
func TestNextUpstreamAfterVerificationFailure(t *testing.T) {
	dir := t.TempDir()
	id := newClientIdentity(t, dir)
	root := testpki.NewRoot(t, testpki.Spec{})
	dayAgo := time.Now().Add(-24 * time.Hour)
	expired := root.Issue(t, testpki.Spec{DNSNames: []string{"backend"}, NotBefore: dayAgo.Add(-time.Hour), NotAfter: dayAgo})
	good := root.Issue(t, testpki.Spec{DNSNames: []string{"backend"}})
	bad := startGoPeer(t, &tls.Config{Certificates: []tls.Certificate{expired.TLSCertificate()}}, id.pool)
	ok := startGoPeer(t, &tls.Config{Certificates: []tls.Certificate{good.TLSCertificate()}}, id.pool)
	trusted := testpki.WriteCerts(t, dir, "root.crt", root.Cert)
	ln, addr := listenAddr(t)
	st := startStrait(t, dir, fmt.Sprintf(`
    upstream backend {
        server %s;
        server %s;
    }
    server {
        listen %s;
        proxy_pass backend;
        proxy_ssl on;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate %s;
        %s
    }`, bad.addr, ok.addr, addr, trusted, id.directives()), ln)

	if reply := exchangeEcho(t, st.Addr(t), payload); reply != payload {
		t.Fatalf("reply %q, want the payload echoed", reply)
	}
	rec := st.records(t, 1)[0]
	if rec.Status != "200" || rec.UpstreamAddr != bad.addr+", "+ok.addr || rec.Verify != "OK" {
		t.Errorf("record %+v, want status 200 via %s after %s", rec, ok.addr, bad.addr)
	}
	if app, _, hs := bad.received(); len(app) != 0 || hs != 0 {
		t.Errorf("failing peer got %d handshakes and data %q", hs, app)
	}
	if app, _, _ := ok.received(); string(app) != payload {
		t.Errorf("good peer got %q", app)
	}
	want := verifyErr(10, "certificate has expired") + " while SSL handshaking to upstream"
	if !strings.Contains(st.Log.String(), want) {
		t.Errorf("error log lacks %q:\n%s", want, st.Log)
	}
}
