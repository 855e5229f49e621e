package tlsconf

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net"
	"time"

	"github.com/straitproxy/strait/internal/tlsconf/cipherlist"
)

// ServerInfo describes an established client TLS session, for the
// $ssl_* variables.
type ServerInfo struct {
	Version     uint16
	CipherSuite uint16
	Curve       tls.CurveID // 0 when unknown (a resumed TLS 1.2 session)
	ServerName  string
	ALPN        string
	Reused      bool
	SessionID   []byte
	// OfferedCiphers and OfferedCurves are what the ClientHello listed,
	// GREASE values included.
	OfferedCiphers []uint16
	OfferedCurves  []tls.CurveID
	// Verify is $ssl_client_verify: "SUCCESS", "FAILED:reason" or
	// "NONE".
	Verify string
	// Cert is the client's certificate, nil when it sent none.
	Cert *x509.Certificate
}

// Protocol is OpenSSL's name of the version.
func (i *ServerInfo) Protocol() string { return protocolName(i.Version) }

// Cipher is OpenSSL's name of the suite.
func (i *ServerInfo) Cipher() string { return SuiteName(i.CipherSuite) }

// SuiteName is OpenSSL's name of a cipher suite, or nginx's "0x%04x" for
// one strait does not know.
func SuiteName(id uint16) string {
	if n := cipherlist.Name(id); n != "" {
		return n
	}
	if n := tls.CipherSuiteName(id); len(n) < 2 || n[:2] != "0x" {
		return n
	}
	return fmt.Sprintf("0x%04x", id)
}

// GroupName is OpenSSL's short name of a key exchange group (OBJ_nid2sn),
// or nginx's "0x%04x" for one OpenSSL has no name for.
func GroupName(id tls.CurveID) string {
	switch id {
	case tls.X25519:
		return "X25519"
	case tls.CurveP256:
		return "prime256v1"
	case tls.CurveP384:
		return "secp384r1"
	case tls.CurveP521:
		return "secp521r1"
	case 30:
		return "X448"
	case 256, 257, 258, 259, 260:
		return fmt.Sprintf("ffdhe%d", []int{2048, 3072, 4096, 6144, 8192}[id-256])
	case tls.X25519MLKEM768:
		return "X25519MLKEM768"
	}
	return fmt.Sprintf("0x%04x", uint16(id))
}

// handshakeState is what one handshake's hooks learn.
type handshakeState struct {
	id      []byte
	ciphers []uint16
	curves  []tls.CurveID
}

// sessionID returns the session's ID, made on first use: a resumed
// session keeps the ID it was made with.
func (st *handshakeState) sessionID() []byte {
	if st.id == nil {
		st.id = make([]byte, 32)
		rand.Read(st.id)
	}
	return st.id
}

// Handshake runs the server side of the TLS handshake on conn, bounded by
// ctx and ssl_handshake_timeout, then judges the client certificate as
// ngx_stream_ssl_handler does. On failure the error is a
// *ServerHandshakeError worded as nginx logs it; the caller closes conn.
func (srv *Server) Handshake(ctx context.Context, conn net.Conn) (*tls.Conn, *ServerInfo, error) {
	if srv.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, srv.timeout)
		defer cancel()
	}
	if srv.reject {
		return nil, nil, rejectHandshake(ctx, conn)
	}
	// One material for the whole handshake, the verdict included: a
	// rotation meanwhile is for the handshakes that start after it.
	m := srv.cur.Load()
	st := &handshakeState{}
	cfg := m.base.Clone()
	cfg.GetConfigForClient = func(chi *tls.ClientHelloInfo) (*tls.Config, error) {
		st.ciphers, st.curves = chi.CipherSuites, chi.SupportedCurves
		return nil, nil
	}
	if !cfg.SessionTicketsDisabled {
		cfg.WrapSession = func(cs tls.ConnectionState, s *tls.SessionState) ([]byte, error) {
			return m.sessions.wrap(cfg, st, cs, s)
		}
		cfg.UnwrapSession = func(identity []byte, cs tls.ConnectionState) (*tls.SessionState, error) {
			return m.sessions.unwrap(cfg, st, identity, cs)
		}
	}
	tc := tls.Server(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, nil, classifyServerError(ctx, err)
	}
	cs := tc.ConnectionState()
	info := &ServerInfo{
		Version: cs.Version, CipherSuite: cs.CipherSuite, Curve: cs.CurveID,
		ServerName: cs.ServerName, ALPN: cs.NegotiatedProtocol, Reused: cs.DidResume,
		SessionID: st.sessionID(), OfferedCiphers: st.ciphers, OfferedCurves: st.curves, Verify: "NONE",
	}
	if len(cs.PeerCertificates) > 0 {
		info.Cert = cs.PeerCertificates[0]
	}
	if err := srv.judgeClient(&m.chain, cs.PeerCertificates, info); err != nil {
		tc.Close()
		return nil, info, err
	}
	return tc, info, nil
}

// judgeClient sets info.Verify and returns the error that ends the
// session, following ngx_stream_ssl_handler. It runs on resumed sessions
// too (with the certificates the session was made with), so a session
// never outlives a CRL or anchor change.
func (srv *Server) judgeClient(chain *chainVerifier, peer []*x509.Certificate, info *ServerInfo) error {
	if srv.verify == "off" {
		return nil
	}
	if len(peer) == 0 {
		if srv.verify == "on" {
			return &ServerHandshakeError{Msg: "client sent no required SSL certificate", Reason: ReasonNoCertificate}
		}
		return nil
	}
	code, _ := chain.verify(peer, srv.now())
	if code == codeOK {
		info.Verify = "SUCCESS"
		return nil
	}
	info.Verify = "FAILED:" + verifyReason(code)
	if srv.verify == "optional_no_ca" && verifyErrorOptional(code) {
		return nil
	}
	return &ServerHandshakeError{Msg: fmt.Sprintf("client SSL certificate verify error: (%d:%s)", code, verifyReason(code)),
		Reason: ReasonVerify}
}

// verifyErrorOptional is ngx_ssl_verify_error_optional: the errors
// ssl_verify_client optional_no_ca lets through, those of an issuer the
// trust store does not hold.
func verifyErrorOptional(code int) bool {
	switch code {
	case 18, 19, 2, 20, 21, 27:
		return true
	}
	return false
}

// SessionIDHex is $ssl_session_id.
func (i *ServerInfo) SessionIDHex() string { return hex.EncodeToString(i.SessionID) }

// rejectDeadline bounds writing the alert of a rejected handshake.
const rejectDeadline = 5 * time.Second
