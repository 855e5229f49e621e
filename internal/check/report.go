package check

import "time"

// SchemaVersion is the version of the JSON report. It changes only when
// a field is removed or changes meaning; new fields may be added within a
// version.
const SchemaVersion = 1

// Report is the outcome of one `strait check`, and its JSON form
// (docs/certificates.md documents every field).
type Report struct {
	Version int      `json:"version"` // SchemaVersion
	Config  string   `json:"config"`  // the configuration file checked
	OK      bool     `json:"ok"`      // every peer checked passed
	Servers []Server `json:"servers"` // server blocks with proxy_ssl on, in configuration order
}

// Server is one server block with proxy_ssl on.
type Server struct {
	Position string   `json:"position"` // "FILE:LINE" of the server block
	Listen   []string `json:"listen"`   // its listen addresses
	Upstream string   `json:"upstream"` // the upstream group or address of proxy_pass
	Name     string   `json:"name"`     // the name certificates are checked against
	Verify   bool     `json:"verify"`   // proxy_ssl_verify
	Pins     []string `json:"pins"`     // proxy_ssl_pin_sha256, base64
	// Error is set when the block could not be checked at all (its
	// upstream could not be resolved); Peers is then empty.
	Error string `json:"error,omitempty"`
	Peers []Peer `json:"peers"`
}

// Peer is one address of the block's upstream.
type Peer struct {
	Address string `json:"address"` // "ip:port" or "unix:/path"
	Server  string `json:"server"`  // the server as written in the configuration
	Backup  bool   `json:"backup"`
	Down    bool   `json:"down"`    // marked down: sessions never use it, so it is not checked
	OK      bool   `json:"ok"`      // a session could use this peer
	Stage   string `json:"stage"`   // where it failed: "connect", "handshake", "read", "resume"; "" when OK
	Error   string `json:"error"`   // the error-log message a session would write; "" when OK
	Connect string `json:"connect"` // "ok", the connect error in nginx's words, or "" when not tried
	TLS     *TLS   `json:"tls"`     // null when no TLS version was negotiated
	// Chain is what the peer presented, leaf first; empty when the
	// handshake ended before its certificate.
	Chain []Certificate `json:"chain"`
	// Verify is what $upstream_ssl_verify would say: "OK", "NONE" when
	// proxy_ssl_verify is off, else the reason ("certificate has
	// expired", "hostname mismatch", "pin mismatch"); "" when no
	// certificate was received.
	Verify            string            `json:"verify"`
	ClientCertificate ClientCertificate `json:"client_certificate"`
	// Resumed says whether a second connection resumed the first one's
	// session; null when not tried (proxy_ssl_session_reuse off, or the
	// first connection failed).
	Resumed *bool `json:"resumed"`
}

// TLS is what the handshake negotiated.
type TLS struct {
	Protocol   string `json:"protocol"`    // "TLSv1.3", as $upstream_ssl_protocol
	Cipher     string `json:"cipher"`      // OpenSSL name, as $upstream_ssl_cipher
	ServerName string `json:"server_name"` // SNI sent, "" when none
	ALPN       string `json:"alpn"`        // protocol agreed by ALPN, "" when none
}

// Certificate is one certificate of the presented chain.
type Certificate struct {
	Subject   string    `json:"subject"` // RFC 2253 form
	Issuer    string    `json:"issuer"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	// PinSHA256 is the value proxy_ssl_pin_sha256 takes to pin this
	// certificate's key.
	PinSHA256 string `json:"pin_sha256"`
}

// ClientCertificate tells whether the upstream asked for strait's client
// certificate and took it.
type ClientCertificate struct {
	// Requested is false also when the handshake failed before strait
	// would have answered a request (TLS 1.3 sends it before the
	// server's certificate, which strait verifies first).
	Requested bool `json:"requested"`
	Sent      bool `json:"sent"` // proxy_ssl_certificate was sent (else an empty list)
	// Accepted is null when no certificate was requested or the
	// handshake failed before the upstream could judge it.
	Accepted *bool `json:"accepted"`
}

// Failed counts the peers checked that failed, and the peers checked.
func (r *Report) Failed() (failed, checked int) {
	for _, s := range r.Servers {
		if s.Error != "" {
			failed++
		}
		for _, p := range s.Peers {
			if p.Down {
				continue
			}
			checked++
			if !p.OK {
				failed++
			}
		}
	}
	return failed, checked
}
