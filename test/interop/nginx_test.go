package interop

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/straitproxy/strait/internal/testpki"
)

// nginxStreamModule is where Debian's nginx keeps its dynamic stream
// module.
const nginxStreamModule = "/usr/lib/nginx/modules/ngx_stream_module.so"

// TestNginxUpstream proxies to an nginx stream server that requires a
// client certificate (ssl_verify_client on) and returns the subject it
// verified, at TLS 1.2 and 1.3.
func TestNginxUpstream(t *testing.T) {
	nginx := needTool(t, "nginx")
	if _, err := os.Stat(nginxStreamModule); err != nil {
		needTool(t, nginxStreamModule) // skips or fails as for a missing tool
	}
	dir := t.TempDir()
	id := newClientIdentity(t, dir)
	chain := testpki.NewChain(t, 1, testpki.Spec{DNSNames: []string{"backend"}})
	cert, key, trusted := serverFiles(t, dir, "srv", chain)

	for _, proto := range []string{"TLSv1.2", "TLSv1.3"} {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			ndir := t.TempDir()
			peerLn, peer := listenAddr(t)
			conf := testpki.WriteFile(t, ndir, "nginx.conf", []byte(fmt.Sprintf(`
load_module %s;
events {}
stream {
    server {
        listen %s ssl;
        ssl_protocols %s;
        ssl_certificate %s;
        ssl_certificate_key %s;
        ssl_client_certificate %s;
        ssl_verify_client on;
        return "$ssl_client_s_dn $ssl_protocol\n";
    }
}
`, nginxStreamModule, peer, proto, cert, key, id.caFile)))
			// nginx takes its socket from the NGINX variable, as in a binary
			// upgrade. Its master process stays on: nginx 1.22 crashes on
			// inherited sockets in single-process mode. launchCmd stops
			// master and worker together, as one process group.
			launchCmd(t, true, exec.Command(nginx, "-p", ndir, "-c", conf, "-e", "stderr",
				"-g", "daemon off; worker_processes 1; pid "+filepath.Join(ndir, "nginx.pid")+"; error_log stderr;"),
				"NGINX", peerLn)
			ln, addr := listenAddr(t)

			st := startStrait(t, t.TempDir(), fmt.Sprintf(`
    upstream backend {
        server %s;
    }
    server {
        listen %s;
        proxy_pass backend;
        proxy_ssl on;
        proxy_ssl_protocols TLSv1.2 TLSv1.3;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate %s;
        %s
    }`, peer, addr, trusted, id.directives()), ln)

			reply := exchange(t, st.Addr(t), "")
			if want := "CN=" + clientSubject + ",O=strait test " + proto + "\n"; reply != want {
				t.Errorf("nginx replied %q, want %q", reply, want)
			}
			rec := st.records(t, 1)[0]
			if rec.Status != "200" || rec.Protocol != proto || rec.Verify != "OK" || rec.UpstreamAddr != peer {
				t.Errorf("record %+v", rec)
			}
			if strings.Contains(st.Log.String(), "[error]") {
				t.Errorf("error log:\n%s", st.Log)
			}
		})
	}
}
