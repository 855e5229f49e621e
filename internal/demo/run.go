package demo

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/errlog"
	"github.com/straitproxy/strait/internal/server"
)

const confTemplate = `# strait demo: the complete example of nginx's "Securing TCP Traffic to
# Upstream Servers", with the three upstreams on 127.0.0.1.
daemon off;
pid %[1]s;
error_log %[2]s info;

events {}

stream {
    log_format demo '$connection $upstream_addr $upstream_ssl_protocol '
                    '$upstream_ssl_cipher $upstream_ssl_verify '
                    '$upstream_ssl_session_reused $status';
    access_log %[3]s demo;

    upstream backend {
%[4]s    }

    server {
        listen     %[5]s;
        proxy_pass backend;
        proxy_ssl  on;

        proxy_ssl_certificate         backend.crt;
        proxy_ssl_certificate_key     backend.key;
        proxy_ssl_protocols           TLSv1 TLSv1.1 TLSv1.2;
        proxy_ssl_ciphers             HIGH:!aNULL:!MD5;
        proxy_ssl_trusted_certificate trusted_ca_cert.crt;

        proxy_ssl_verify        on;
        proxy_ssl_verify_depth  2;
        proxy_ssl_session_reuse on;
    }
}
`

func writeConfig(f files, listen string, ups []*echoUpstream) error {
	var servers strings.Builder
	for _, u := range ups {
		fmt.Fprintf(&servers, "        server %s;    # %s\n", u.Addr(), u.name)
	}
	text := fmt.Sprintf(confTemplate, f.pidFile, f.errorLog, f.accessLog, servers.String(), listen)
	return os.WriteFile(f.conf, []byte(text), 0o644)
}

// runStrait serves the configuration, on ln (bound for listen) when it
// is set; the server owns ln from then on.
func runStrait(ctx context.Context, o Options, f files, listen string, ln net.Listener, ups []*echoUpstream) error {
	var inherited []net.Listener
	if ln != nil {
		inherited = []net.Listener{ln}
	}
	closeInherited := func() {
		for _, l := range inherited {
			l.Close()
		}
	}
	cfg, err := config.Load(config.LoadOptions{File: f.conf})
	if err != nil {
		closeInherited()
		return err
	}
	logFile, err := errlog.OpenFile(f.errorLog)
	if err != nil {
		closeInherited()
		return err
	}
	defer logFile.Close()
	log := slog.New(errlog.NewHandler(logFile, errlog.LevelInfo, errlog.Options{PID: os.Getpid()}))
	srv, err := server.New(cfg, server.Options{Logger: log, PID: os.Getpid(), Inherited: inherited})
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve() }()
	defer func() {
		srv.Close()
		<-served
	}()

	out := o.Out
	fmt.Fprintf(out, "strait demo: an internal CA, three mutual-TLS upstreams and strait, on 127.0.0.1\n\n")
	fmt.Fprintf(out, "  client --plain TCP--> strait %s --TLS, client certificate, verified--> upstream group \"backend\"\n", listen)
	for _, u := range ups {
		fmt.Fprintf(out, "      %s  %s (requires a client certificate from the demo CA)\n", u.name, u.Addr())
	}
	where := f.dir
	if f.temporary {
		where += " (temporary: removed when the demo stops; -dir DIR keeps them)"
	}
	fmt.Fprintf(out, "\n  configuration: %s\n  certificates, logs: %s\n\n", f.conf, where)

	tw := tabwriter.NewWriter(out, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "  #\tupstream\tprotocol\tcipher\tverified \"backend\"\tresumed\treply")
	for i := 1; i <= 2*len(ups); i++ {
		reply, err := exchange(listen, fmt.Sprintf("hello #%d through strait", i))
		if err != nil {
			return fmt.Errorf("message %d: %w", i, err)
		}
		rec, err := waitRecord(f.accessLog, i)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\t%s\n", i, rec.upstream, rec.protocol, rec.cipher, rec.verify, rec.reused, reply)
	}
	tw.Flush()
	fmt.Fprintln(out, "\n  The first round makes full handshakes; every later connection to a peer resumes its session.")
	if !o.Wait {
		return nil
	}
	host, port, _ := net.SplitHostPort(listen)
	fmt.Fprintf(out, "\nstrait is running with %s\n"+
		"  try, in another terminal:  echo hello | strait demo -client -listen %s\n"+
		"  or with bash alone:        exec 3<>/dev/tcp/%s/%s; echo hello >&3; head -n1 <&3; exec 3>&-\n"+
		"  logs: %s, %s\nPress Ctrl-C to stop.\n",
		f.conf, listen, host, port, f.accessLog, f.errorLog)
	select {
	case <-ctx.Done():
		fmt.Fprintln(out, "\nstopping")
		return nil
	case err := <-served:
		served <- err
		return err
	}
}

// exchange sends one line through strait and reads the upstream's answer.
func exchange(addr, msg string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := fmt.Fprintf(c, "%s\n", msg); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("no reply through strait: %w (see the error log)", err)
	}
	return trimEOL(line), nil
}

type record struct{ upstream, protocol, cipher, verify, reused string }

// waitRecord waits (bounded) until the access log has n lines and parses
// the nth; strait writes a record when a session ends.
func waitRecord(path string, n int) (record, error) {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(path)
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		if len(lines) >= n && lines[n-1] != "" {
			fs := strings.Fields(lines[n-1])
			if len(fs) >= 7 {
				reused := "no (full handshake)"
				if fs[5] == "r" {
					reused = "yes"
				}
				return record{upstream: fs[1], protocol: fs[2], cipher: fs[3], verify: fs[4], reused: reused}, nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return record{}, fmt.Errorf("no access log record %d in %s", n, path)
}
