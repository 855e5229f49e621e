package check

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/proxy"
	"github.com/straitproxy/strait/internal/tlsconf"
)

// peerCheck checks one peer with its block's settings.
type peerCheck struct {
	client *tlsconf.Client
	proxy  config.Proxy
	reuse  bool
	wait   time.Duration
}

// run fills out: a first connection with everything it shows, then, when
// sessions are reused, a second one to see whether it resumes.
func (pc peerCheck) run(ctx context.Context, out *Peer) {
	res, stage, err := pc.connect(ctx, out.Address)
	fill(out, res, stage, err)
	if err == nil {
		stage, err = pc.readAfterHandshake(res.Conn, out)
		res.Conn.Close()
	}
	if err != nil {
		out.Stage, out.Error = stage, failureText(out.Address, stage, err)
		return
	}
	out.OK = true
	if !pc.reuse {
		return
	}
	again, stage, err := pc.connect(ctx, out.Address)
	if err != nil {
		out.OK, out.Stage = false, "resume"
		out.Error = failureText(out.Address, stage, err)
		return
	}
	again.Conn.Close()
	out.Resumed = &again.Reused
}

// connect dials the peer and runs the handshake, each bounded by its own
// proxy_connect_timeout, as a session's attempt does; a PROXY header goes
// first when the block sends one. stage is "connect" or "handshake".
func (pc peerCheck) connect(ctx context.Context, addr string) (tlsconf.ProbeResult, string, error) {
	network, dialAddr := "tcp", addr
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		network, dialAddr = "unix", path
	}
	dctx, cancel := pc.withTimeout(ctx)
	var d net.Dialer
	conn, err := d.DialContext(dctx, network, dialAddr)
	cancel()
	if err != nil {
		return tlsconf.ProbeResult{}, "connect", err
	}
	if pc.proxy.ProxyProtocol {
		// The upstream expects the header before any TLS record; strait
		// itself stands in for the client.
		hdr := proxy.AppendProxyV1(nil, conn.LocalAddr(), conn.RemoteAddr())
		if pc.proxy.ConnectTimeout > 0 {
			conn.SetWriteDeadline(time.Now().Add(pc.proxy.ConnectTimeout))
		}
		_, err = conn.Write(hdr)
		conn.SetWriteDeadline(time.Time{})
		if err != nil {
			conn.Close()
			return tlsconf.ProbeResult{}, "connect", err
		}
	}
	hctx, cancel := pc.withTimeout(ctx)
	defer cancel()
	res, err := pc.client.Probe(hctx, conn, addr)
	if err != nil {
		conn.Close()
		return res, "handshake", err
	}
	return res, "handshake", nil
}

func (pc peerCheck) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if pc.proxy.ConnectTimeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, pc.proxy.ConnectTimeout)
}

// readAfterHandshake reads once, briefly. A TLS 1.3 upstream that refuses
// the client certificate says so only now, with an alert that a session
// logs on its first read; data, silence or a clean close all mean the
// upstream kept the connection.
func (pc peerCheck) readAfterHandshake(tc *tls.Conn, out *Peer) (string, error) {
	wait := pc.wait
	if t := pc.proxy.ConnectTimeout; t > 0 && t < wait {
		wait = t
	}
	tc.SetReadDeadline(time.Now().Add(wait))
	_, err := tc.Read(make([]byte, 1))
	if err == nil || errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, io.EOF) {
		if out.ClientCertificate.Requested {
			out.ClientCertificate.Accepted = ptr(true)
		}
		return "", nil
	}
	if out.ClientCertificate.Requested && isRemoteAlert(err) {
		out.ClientCertificate.Accepted = ptr(false)
	}
	return "read", err
}

// fill records what one connection showed.
func fill(out *Peer, res tlsconf.ProbeResult, stage string, err error) {
	out.Connect = "ok"
	if stage == "connect" {
		out.Connect = proxy.AttemptErrorText(out.Address, proxy.StageConnect, err)
		return
	}
	if res.Protocol != "" {
		out.TLS = &TLS{Protocol: res.Protocol, Cipher: res.Cipher, ServerName: res.ServerName}
		if res.Conn != nil {
			out.TLS.ALPN = res.Conn.ConnectionState().NegotiatedProtocol
		}
	}
	for _, c := range res.Chain {
		out.Chain = append(out.Chain, Certificate{
			Subject: c.Subject.String(), Issuer: c.Issuer.String(),
			NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(), PinSHA256: tlsconf.PinSHA256(c),
		})
	}
	if len(res.Chain) > 0 {
		out.Verify = res.Verify
	}
	cc := &out.ClientCertificate
	cc.Requested, cc.Sent = res.ClientCertRequested, res.ClientCertSent
	var he *tlsconf.HandshakeError
	if err != nil && cc.Requested && !(errors.As(err, &he) && he.Verify) && isRemoteAlert(err) {
		// Up to TLS 1.2 the upstream judges the client certificate
		// before its Finished: an alert after the request is its
		// refusal.
		cc.Accepted = ptr(false)
	}
}

// failureText words a failure as the session's error log would: the
// attempt's message for a connect or handshake, the copy loop's for a
// read (proxy's logFlowFailure).
func failureText(addr, stage string, err error) string {
	switch stage {
	case "connect":
		return proxy.AttemptErrorText(addr, proxy.StageConnect, err) + " while " + proxy.StageAction(proxy.StageConnect)
	case "handshake":
		return proxy.AttemptErrorText(addr, proxy.StageHandshake, err) + " while " + proxy.StageAction(proxy.StageHandshake)
	}
	return proxy.UpstreamReadFailureText(err)
}

// isRemoteAlert reports a TLS alert sent by the upstream; crypto/tls
// does not export the type, only the "remote error" operation.
func isRemoteAlert(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "remote error"
}

func ptr[T any](v T) *T { return &v }
