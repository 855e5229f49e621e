// Package demo is `strait demo`: strait's main job on an embedded default.
// It creates an internal CA with internal/pki (the files `strait pki` writes),
// three mutual-TLS upstream echo servers that require a client certificate,
// writes the configuration of nginx's "Securing TCP Traffic to Upstream
// Servers" with those addresses, runs strait on it, sends messages through
// and shows what each hop negotiated.
package demo

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/straitproxy/strait/internal/pki"
)

// DefaultListen is strait's address in the demonstration, as in nginx's
// article; another loopback port when it is taken.
const DefaultListen = "127.0.0.1:12345"

// Options configure a demo run.
type Options struct {
	// Dir is where certificates, configuration and logs go. When "", a
	// new temporary directory holds them and is removed when Run returns.
	Dir    string
	Listen string // strait's listen address; 127.0.0.1:12345, or another loopback port when busy
	// Listener, when set, is a socket already bound (by a test) that
	// strait serves instead of binding Listen.
	Listener net.Listener
	Out      io.Writer
	// Wait blocks after the demonstration until the context is done
	// (Ctrl-C); false returns at once, for tests.
	Wait bool
}

// files are the paths the demo writes besides the CA's, named as in
// nginx's article.
type files struct {
	dir, conf, accessLog, errorLog, pidFile string
	temporary                               bool // removed when the demo ends
}

// Run performs the demonstration.
func Run(ctx context.Context, o Options) error {
	if o.Out == nil {
		o.Out = os.Stdout
	}
	f, err := prepareDir(o.Dir)
	if err != nil {
		return err
	}
	f.temporary = o.Dir == ""
	if f.temporary {
		defer func() {
			os.RemoveAll(f.dir)
			fmt.Fprintf(o.Out, "removed %s\n", f.dir)
		}()
	}
	// What `strait pki init` and `strait pki issue client backend` do, into
	// the demo's directory, which the demo owns (so --force).
	ca, err := pki.Init(f.dir, pki.InitOptions{Org: "strait demo", Force: true}, pki.Env{})
	if err != nil {
		return fmt.Errorf("create demo CA: %w", err)
	}
	if _, err := ca.Issue(pki.Request{Kind: pki.Client, Name: "backend", Force: true}); err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Root)
	var ups []*echoUpstream
	defer func() {
		for _, u := range ups {
			u.Close()
		}
	}()
	for i := 1; i <= 3; i++ {
		name := "backend" + strconv.Itoa(i)
		// proxy_ssl_name defaults to the group name, "backend", as in nginx;
		// the certificates carry it beside their own host name.
		cert, err := ca.Issue(pki.Request{Kind: pki.Server, Name: name + ".example.com",
			SANs: []string{"backend", name + ".example.com", "127.0.0.1"}, Force: true})
		if err != nil {
			return err
		}
		u, err := startUpstream(name, cert.TLSCertificate(), pool)
		if err != nil {
			return fmt.Errorf("start upstream %s: %w", name, err)
		}
		ups = append(ups, u)
	}
	ln := o.Listener
	if ln == nil && o.Listen == "" {
		if ln, err = holdListen(DefaultListen); err != nil {
			return err
		}
	}
	listen := o.Listen
	if ln != nil {
		listen = ln.Addr().String()
	}
	if err := writeConfig(f, listen, ups); err != nil {
		if ln != nil {
			ln.Close()
		}
		return err
	}
	return runStrait(ctx, o, f, listen, ln, ups)
}

func prepareDir(dir string) (files, error) {
	if dir == "" {
		d, err := os.MkdirTemp("", "strait-demo-")
		if err != nil {
			return files{}, err
		}
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return files{}, err
	}
	dir, _ = filepath.Abs(dir)
	j := func(n string) string { return filepath.Join(dir, n) }
	return files{
		dir: dir, conf: j("strait.conf"), accessLog: j("access.log"), errorLog: j("error.log"),
		pidFile: j("strait.pid"),
	}, nil
}

// holdListen binds addr, or a loopback port the system picks when addr is
// busy, and keeps the socket for strait to serve: a port found free and
// bound again later could be taken in between.
func holdListen(addr string) (net.Listener, error) {
	if ln, err := net.Listen("tcp", addr); err == nil {
		return ln, nil
	}
	return net.Listen("tcp", "127.0.0.1:0")
}
