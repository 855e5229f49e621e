//go:build linux

package main

import (
	"fmt"
	"strings"
)

// proxyLimits are the connection and descriptor limits given to every
// proxy, derived from the file limit the proxies inherit, so the idle
// scenario fits in each.
type proxyLimits struct {
	NoFile   int // nginx worker_rlimit_nofile
	Conns    int // nginx worker_connections (counts both sides)
	MaxConns int // HAProxy maxconn (client sessions; two descriptors each)
}

func limitsFor(fileLimit uint64) proxyLimits {
	n := int(min(fileLimit, 1<<20))
	return proxyLimits{NoFile: n, Conns: max(n-100, 1024), MaxConns: max((n-100)/2, 512)}
}

// nginxConfig renders an nginx configuration (also read by strait) for the
// routes: worker_processes auto, mutual TLS 1.3 to TLS upstreams with
// verification on, key exchange groups pinned to X25519 then P-256 (what
// OpenSSL 3.0 offers by default; strait's own default adds the hybrid
// post-quantum X25519MLKEM768, which costs more per handshake) so every
// target does the same work. preamble goes first (nginx needs load_module on Debian).
func nginxConfig(preamble, dir string, lim proxyLimits, routes routeTable, listen map[string]string, pki *pkiFiles) string {
	var b strings.Builder
	b.WriteString(preamble)
	fmt.Fprintf(&b, `daemon off;
worker_processes auto;
worker_rlimit_nofile %d;
pid %s/proxy.pid;
error_log %s/error.log warn;

events {
    worker_connections %d;
}

stream {
`, lim.NoFile, dir, dir, lim.Conns)
	for _, r := range routes.sorted() {
		if r.UDP {
			b.WriteString(nginxUDPServer(r, listen[r.ID]))
			continue
		}
		fmt.Fprintf(&b, "    # %s\n    server {\n        listen %s;\n        proxy_pass %s;\n", r.ID, listen[r.ID], r.Upstream)
		if r.TLS {
			reuse := "on"
			if !r.Reuse {
				reuse = "off"
			}
			fmt.Fprintf(&b, `        proxy_ssl on;
        proxy_ssl_protocols TLSv1.3;
        proxy_ssl_certificate %s;
        proxy_ssl_certificate_key %s;
        proxy_ssl_trusted_certificate %s;
        proxy_ssl_verify on;
        proxy_ssl_name %s;
        proxy_ssl_server_name on;
        proxy_ssl_session_reuse %s;
        proxy_ssl_conf_command Groups %s;
`, pki.ClientCert, pki.ClientKey, pki.CA, upstreamName, reuse, benchGroups)
		}
		b.WriteString("    }\n")
	}
	b.WriteString("}\n")
	return b.String()
}

// benchGroups are the key exchange groups every target offers to TLS
// upstreams, in OpenSSL's syntax.
const benchGroups = "X25519:P-256"

// haproxyConfig renders the equivalent HAProxy configuration: mode tcp,
// nbthread = cores, verify required, SNI and host check on the same name.
// HAProxy 2.6 has no per-server groups setting; it offers OpenSSL 3.0's
// default list, which starts with X25519 like benchGroups.
func haproxyConfig(threads int, lim proxyLimits, routes routeTable, listen map[string]string, pki *pkiFiles) string {
	var b strings.Builder
	fmt.Fprintf(&b, `global
    nbthread %d
    maxconn %d

defaults
    mode tcp
    timeout connect 60s
    timeout client 10m
    timeout server 10m
`, threads, lim.MaxConns)
	for _, r := range routes.sorted() {
		if r.UDP {
			continue // HAProxy 2.6 has no UDP proxying in mode tcp
		}
		fmt.Fprintf(&b, "\nlisten %s\n    bind %s\n    server s1 %s", r.ID, listen[r.ID], r.Upstream)
		if r.TLS {
			fmt.Fprintf(&b, " ssl verify required ca-file %s crt %s sni str(%s) verifyhost %s ssl-min-ver TLSv1.3",
				pki.CA, pki.ClientBundle, upstreamName, upstreamName)
			if !r.Reuse {
				b.WriteString(" no-ssl-reuse")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}
