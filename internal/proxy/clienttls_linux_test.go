package proxy

import (
	"crypto/tls"
	"io"
	"net"
	"testing"
	"time"
)

// TestClientTLSConnCopiesDirectly: a TLS client connection made over
// ClientTLSConn, with bytes a PROXY header read took past its end, is
// copied inside the socket's read callbacks (the path that holds no
// buffer while idle), and those bytes reach the handshake first.
func TestClientTLSConnCopiesDirectly(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cert := selfSigned(t)
	done := make(chan error, 1)
	go func() {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true})
		if _, err := tc.Write([]byte("ping")); err != nil {
			done <- err
			return
		}
		_, err = io.ReadFull(tc, make([]byte, 4))
		done <- err
	}()
	raw, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(10 * time.Second))
	// Read part of the ClientHello the way a PROXY header read might.
	pre := make([]byte, 3)
	if _, err := io.ReadFull(raw, pre); err != nil {
		t.Fatal(err)
	}
	tc := tls.Server(ClientTLSConn(raw, pre), &tls.Config{Certificates: []tls.Certificate{cert}})
	if err := tc.Handshake(); err != nil {
		t.Fatalf("handshake over the preread bytes: %v", err)
	}
	f := &flow{src: tc}
	f.setDirect()
	if f.rawSrc == nil || f.tlsSrc != tc {
		t.Fatal("the TLS client connection is not copied directly from its socket")
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(tc, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("read %q, %v", buf, err)
	}
	tc.Write(buf)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
