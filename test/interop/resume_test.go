package interop

import (
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"strings"
	"testing"

	"github.com/straitproxy/strait/internal/testpki"
)

// resumePeers starts n Go TLS peers whose certificates are all valid for
// "backend", each with session ticket keys of its own, so a ticket from
// one peer is worthless at another. It returns them and the trusted root.
func resumePeers(t *testing.T, id *clientIdentity, dir string, n int, maxVersion uint16) ([]*goPeer, string) {
	t.Helper()
	root := testpki.NewRoot(t, testpki.Spec{})
	var peers []*goPeer
	for i := 0; i < n; i++ {
		leaf := root.Issue(t, testpki.Spec{CommonName: fmt.Sprintf("peer %d", i+1), DNSNames: []string{"backend"}})
		var key [32]byte
		rand.Read(key[:])
		cfg := &tls.Config{Certificates: []tls.Certificate{leaf.TLSCertificate()}, MaxVersion: maxVersion}
		cfg.SetSessionTicketKeys([][32]byte{key})
		peers = append(peers, startGoPeer(t, cfg, id.pool))
	}
	return peers, testpki.WriteCerts(t, dir, "root.crt", root.Cert)
}

var resumeVersions = []struct {
	name string
	max  uint16
}{{"TLSv1.2", tls.VersionTLS12}, {"TLSv1.3", tls.VersionTLS13}}

// TestSessionResumptionPerPeer: three peers share one proxy_ssl_name,
// also sent as SNI (crypto/tls alone would keep one session for the
// name, which every other peer refuses); after the first round every
// connection to every peer resumes its own session, unless
// proxy_ssl_session_reuse is off.
func TestSessionResumptionPerPeer(t *testing.T) {
	for _, v := range resumeVersions {
		for _, reuse := range []string{"on", "off"} {
			t.Run(v.name+"/reuse_"+reuse, func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				id := newClientIdentity(t, dir)
				peers, trusted := resumePeers(t, id, dir, 3, v.max)
				ln, addr := listenAddr(t)
				st := startStrait(t, dir, fmt.Sprintf(`
    upstream backend {
        server %s;
        server %s;
        server %s;
    }
    server {
        listen %s;
        proxy_pass backend;
        proxy_ssl on;
        proxy_ssl_name backend;
        proxy_ssl_server_name on;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate %s;
        proxy_ssl_session_reuse %s;
        %s
    }`, peers[0].addr, peers[1].addr, peers[2].addr, addr, trusted, reuse, id.directives()), ln)

				const rounds = 3
				for i := 0; i < rounds*len(peers); i++ {
					msg := fmt.Sprintf("session %d\n", i)
					if got := exchangeEcho(t, st.Addr(t), msg); got != msg {
						t.Fatalf("session %d: reply %q", i, got)
					}
					st.records(t, i+1) // one session at a time, in order
				}
				for i, rec := range st.records(t, rounds*len(peers)) {
					want := "."
					if reuse == "on" && i >= len(peers) {
						want = "r"
					}
					if rec.Status != "200" || rec.Protocol != v.name || rec.Reused != want || rec.ServerName != "backend" || rec.UpstreamAddr != peers[i%len(peers)].addr {
						t.Errorf("session %d: record %+v, want %s at %s, session_reused %q", i, rec, v.name, peers[i%len(peers)].addr, want)
					}
				}
			})
		}
	}
}

// TestSessionsNotSharedAcrossServerBlocks: two server blocks with
// different TLS settings proxy to the same peer; each resumes only its
// own sessions (nginx would let the second block resume the first's).
func TestSessionsNotSharedAcrossServerBlocks(t *testing.T) {
	profiles := []struct {
		name, first, second string
	}{
		{"verify_on_and_off", "proxy_ssl_verify on;", "proxy_ssl_verify off;"},
		{"different_ciphers", "proxy_ssl_verify on; proxy_ssl_ciphers HIGH:!aNULL:!MD5;",
			"proxy_ssl_verify on; proxy_ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256;"},
	}
	for _, v := range resumeVersions {
		for _, p := range profiles {
			t.Run(v.name+"/"+p.name, func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				id := newClientIdentity(t, dir)
				peers, trusted := resumePeers(t, id, dir, 1, v.max)
				ln0, addr0 := listenAddr(t)
				ln1, addr1 := listenAddr(t)
				addrs := []string{addr0, addr1}
				var blocks strings.Builder
				for i, extra := range []string{p.first, p.second} {
					fmt.Fprintf(&blocks, `
    server {
        listen %s;
        proxy_pass %s;
        proxy_ssl on;
        proxy_ssl_name backend;
        proxy_ssl_trusted_certificate %s;
        %s
        %s
    }`, addrs[i], peers[0].addr, trusted, extra, id.directives())
				}
				st := startStrait(t, dir, blocks.String(), ln0, ln1)

				// first, second, first, second: only the third and fourth
				// sessions find a session made by their own block.
				want := []string{".", ".", "r", "r"}
				for i := range want {
					msg := fmt.Sprintf("session %d\n", i)
					if got := exchangeEcho(t, addrs[i%2], msg); got != msg {
						t.Fatalf("session %d: reply %q", i, got)
					}
					st.records(t, i+1)
				}
				for i, rec := range st.records(t, len(want)) {
					if rec.Status != "200" || rec.Protocol != v.name || rec.Reused != want[i] {
						t.Errorf("session %d (block %d): record %+v, want session_reused %q", i, i%2+1, rec, want[i])
					}
				}
			})
		}
	}
}
