package config

import (
	"time"

	"github.com/straitproxy/strait/internal/ngxconf"
)

// ClientTLS holds one server block's ngx_stream_ssl_module settings: TLS
// with clients on `listen ... ssl`. File paths are absolute; a value
// written as "data:..." is kept as written (the PEM text follows the
// prefix).
type ClientTLS struct {
	// Certificates pairs ssl_certificate and ssl_certificate_key in
	// order; several pairs (RSA and ECDSA) let the handshake pick what
	// the client supports.
	Certificates []CertKey
	// CertificateKeys are the ssl_certificate_key values as written
	// (nginx inherits them apart from the certificates); the check at
	// load pairs them with Certificates by position.
	CertificateKeys []string
	PasswordFile    string
	Protocols       []string // default TLSv1.2 TLSv1.3
	Ciphers         string   // OpenSSL cipher list, default HIGH:!aNULL:!MD5
	// PreferServerCiphers is ssl_prefer_server_ciphers; Go's server
	// always chooses by its own order, so it is recorded only.
	PreferServerCiphers bool
	ECDHCurve           string      // "auto" or OpenSSL group names joined by ":"
	ConfCommands        [][2]string // ssl_conf_command name value
	DHParam             string      // accepted, unused: Go has no DHE
	HandshakeTimeout    time.Duration
	SessionCache        SessionCache
	SessionTimeout      time.Duration // default 5m
	SessionTickets      bool          // default on
	SessionTicketKeys   []string      // files; the first encrypts, all decrypt
	// VerifyClient is "off", "on", "optional" or "optional_no_ca".
	VerifyClient       string
	ClientCertificate  string
	TrustedCertificate string
	CRL                string
	VerifyDepth        int // default 1
	ALPN               []string
	RejectHandshake    bool
	KeyLog             string // ssl_key_log file, "" when off

	// Positions for error messages.
	PasswordPos, DHParamPos, VerifyPos, ClientCertificatePos, TrustedPos, CRLPos, KeyLogPos, TicketKeyPos ngxconf.Pos
}

// CertKey is one ssl_certificate with its ssl_certificate_key.
type CertKey struct {
	Certificate string
	Key         string
	Pos         ngxconf.Pos // of the ssl_certificate directive
}

// SessionCache is ssl_session_cache.
type SessionCache struct {
	// Mode is "none" (the default: no server-side cache, sessions may
	// still resume through tickets), "off" (no resumption by session ID
	// at all) or "builtin"/"shared" when either is given.
	Mode string
	// Builtin is the builtin cache's size in sessions, 0 when no builtin
	// cache is set.
	Builtin int
	// Shared names the shared zone and its size; "" when none.
	Shared     string
	SharedSize int
}

// UsesClientTLS reports whether any listen of the server has ssl.
func (s *Server) UsesClientTLS() bool {
	for _, l := range s.Listens {
		if l.SSL {
			return true
		}
	}
	return false
}
