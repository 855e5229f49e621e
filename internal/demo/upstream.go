package demo

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"sync"
	"time"
)

// echoUpstream is a mutual-TLS echo server standing in for one backend: it
// requires a client certificate signed by the demo CA and answers each
// line with its own name, the line, and who the client proved to be.
type echoUpstream struct {
	name string
	ln   net.Listener
	wg   sync.WaitGroup
}

func startUpstream(name string, cert tls.Certificate, clientCAs *x509.CertPool) (*echoUpstream, error) {
	cfg := &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    clientCAs,
		MinVersion:   tls.VersionTLS10,
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		return nil, err
	}
	u := &echoUpstream{name: name, ln: ln}
	u.wg.Add(1)
	go u.serve()
	return u, nil
}

func (u *echoUpstream) Addr() string { return u.ln.Addr().String() }

func (u *echoUpstream) serve() {
	defer u.wg.Done()
	for {
		c, err := u.ln.Accept()
		if err != nil {
			return
		}
		u.wg.Add(1)
		go func() {
			defer u.wg.Done()
			u.echo(c.(*tls.Conn))
		}()
	}
}

func (u *echoUpstream) echo(c *tls.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Minute))
	if err := c.Handshake(); err != nil {
		return
	}
	client := "none"
	if pc := c.ConnectionState().PeerCertificates; len(pc) > 0 {
		client = "CN=" + pc[0].Subject.CommonName
	}
	r := bufio.NewReader(c)
	for i := 0; i < 10000; i++ {
		line, err := r.ReadString('\n')
		if line != "" {
			fmt.Fprintf(c, "%s: %s [client certificate %s]\n", u.name, trimEOL(line), client)
		}
		if err != nil {
			return
		}
	}
}

func (u *echoUpstream) Close() {
	u.ln.Close()
	u.wg.Wait()
}

func trimEOL(s string) string {
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	return s
}
