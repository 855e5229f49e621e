package config

import (
	"strings"
	"time"

	"github.com/straitproxy/strait/internal/ngxconf"
)

const (
	modSSL     = "ngx_stream_ssl_module"
	modPreread = "ngx_stream_ssl_preread_module"
)

// sslDirectives is ngx_stream_ssl_module (TLS with clients, on listen ...
// ssl) and ngx_stream_ssl_preread_module.
func sslDirectives() []Directive {
	ss := streamSrv
	tls := func(s *Server) *ClientTLS { return &s.ClientTLS }
	return []Directive{
		{Name: "ssl_alpn", Contexts: ss, Args: Arg1More, Syntax: "protocol ...", Module: modSSL,
			Doc: "ALPN protocols accepted from clients, in the server's order of preference.",
			Set: func(s *scope, d *ngxconf.Directive) error {
				for _, a := range d.Args {
					if len(a.Value) > 255 {
						return errorf(d, "%q directive protocol too long", d.Name)
					}
				}
				s.lvl.srv.ClientTLS.ALPN = d.Values()
				return nil
			},
			inherit: func(c, p *Server) { c.ClientTLS.ALPN = p.ClientTLS.ALPN }},
		{Name: "ssl_certificate", Contexts: ss, Args: Arg1, Syntax: "file", Module: modSSL, multi: true,
			Doc: "Server certificate (PEM, leaf then intermediates); repeat for RSA and ECDSA pairs. \"data:\" takes the PEM text inline.",
			Set: func(s *scope, d *ngxconf.Directive) error {
				v, err := sslFileArg(s, d)
				c := &s.lvl.srv.ClientTLS
				c.Certificates = append(c.Certificates, CertKey{Certificate: v, Pos: stmtPos(d)})
				return err
			},
			inherit: func(c, p *Server) { c.ClientTLS.Certificates = p.ClientTLS.Certificates }},
		{Name: "ssl_certificate_key", Contexts: ss, Args: Arg1, Syntax: "file", Module: modSSL, multi: true,
			Doc: "Private key (PEM) of the ssl_certificate at the same position. \"data:\" takes the PEM text inline.",
			Set: func(s *scope, d *ngxconf.Directive) error {
				v, err := sslFileArg(s, d)
				c := &s.lvl.srv.ClientTLS
				c.CertificateKeys = append(c.CertificateKeys, v)
				return err
			},
			inherit: func(c, p *Server) { c.ClientTLS.CertificateKeys = p.ClientTLS.CertificateKeys }},
		{Name: "ssl_certificate_cache", Contexts: ss, Args: Arg123, Syntax: "off | max=N [inactive=time] [valid=time]",
			Default: "off", Status: Ignored, Module: modSSL,
			Doc: "Cache of certificates named with variables; strait has no variables in ssl_certificate, so nothing to cache.",
			Set: setCertificateCache},
		{Name: "ssl_ciphers", Contexts: ss, Args: Arg1, Syntax: "ciphers", Default: "HIGH:!aNULL:!MD5", Module: modSSL,
			Doc: "OpenSSL cipher list for TLS 1.2 and older (TLS 1.3 suites are fixed); @SECLEVEL=n also bounds client certificate keys.",
			Set: func(s *scope, d *ngxconf.Directive) error {
				s.lvl.srv.ClientTLS.Ciphers = d.Args[0].Value
				return nil
			},
			inherit: func(c, p *Server) { c.ClientTLS.Ciphers = p.ClientTLS.Ciphers }},
		sslFile("ssl_client_certificate", "CA certificates (PEM) for client certificates, sent to clients as acceptable issuers.",
			func(c *ClientTLS) (*string, *ngxconf.Pos) { return &c.ClientCertificate, &c.ClientCertificatePos }),
		{Name: "ssl_conf_command", Contexts: ss, Args: Arg2, Syntax: "name value", Module: modSSL, multi: true,
			Doc: "OpenSSL configuration command; those with a Go equivalent (Groups, Curves, MinProtocol, MaxProtocol) are applied, others refused.",
			Set: func(s *scope, d *ngxconf.Directive) error {
				c := &s.lvl.srv.ClientTLS
				c.ConfCommands = append(c.ConfCommands, [2]string{d.Args[0].Value, d.Args[1].Value})
				return nil
			},
			inherit: func(c, p *Server) { c.ClientTLS.ConfCommands = p.ClientTLS.ConfCommands }},
		sslFile("ssl_crl", "Revoked certificates (PEM CRLs) checked at every level of client certificate chains.",
			func(c *ClientTLS) (*string, *ngxconf.Pos) { return &c.CRL, &c.CRLPos }),
		withStatus(sslFile("ssl_dhparam", "DH parameters for DHE ciphers; Go's TLS has no DHE, so ECDHE is used instead.",
			func(c *ClientTLS) (*string, *ngxconf.Pos) { return &c.DHParam, &c.DHParamPos }), Ignored),
		{Name: "ssl_ecdh_curve", Contexts: ss, Args: Arg1, Syntax: "curve", Default: "auto", Module: modSSL,
			Doc: "Key exchange groups, \"auto\" or names joined by \":\" (X25519, prime256v1, secp384r1, secp521r1, X25519MLKEM768).",
			Set: func(s *scope, d *ngxconf.Directive) error {
				s.lvl.srv.ClientTLS.ECDHCurve = d.Args[0].Value
				return nil
			},
			inherit: func(c, p *Server) { c.ClientTLS.ECDHCurve = p.ClientTLS.ECDHCurve }},
		srvMsec("ssl_handshake_timeout", "60s", modSSL, "Timeout of the client TLS handshake.",
			func(s *Server) *time.Duration { return &tls(s).HandshakeTimeout }),
		sslFile("ssl_key_log", "Logs client TLS secrets in SSLKEYLOGFILE format: anyone who can read the file can decrypt the traffic.",
			func(c *ClientTLS) (*string, *ngxconf.Pos) { return &c.KeyLog, &c.KeyLogPos }),
		notYet("ssl_ocsp", ss, Arg1, "on | off | leaf", "off", modSSL, "OCSP validation of client certificates."),
		notYet("ssl_ocsp_cache", ss, Arg1, "off | [shared:name:size]", "off", modSSL, "Cache of OCSP responses."),
		notYet("ssl_ocsp_responder", ss, Arg1, "url", "", modSSL, "OCSP responder for client certificates."),
		readNow(sslFile("ssl_password_file", "Passphrases for encrypted keys, one per line, tried in order.",
			func(c *ClientTLS) (*string, *ngxconf.Pos) { return &c.PasswordFile, &c.PasswordPos })),
		srvFlag("ssl_prefer_server_ciphers", "off", modSSL, "Prefer the server's cipher order; Go's server always chooses by its own order.",
			func(s *Server) *bool { return &tls(s).PreferServerCiphers }),
		{Name: "ssl_protocols", Contexts: ss, Args: Arg1More, Syntax: "[TLSv1] [TLSv1.1] [TLSv1.2] [TLSv1.3]", Default: "TLSv1.2 TLSv1.3",
			Module: modSSL, Doc: "TLS versions accepted from clients; SSLv2 and SSLv3 are refused.",
			Set: func(s *scope, d *ngxconf.Directive) error {
				v, err := sslProtocolsArg(s, d)
				s.lvl.srv.ClientTLS.Protocols = v
				return err
			},
			inherit: func(c, p *Server) { c.ClientTLS.Protocols = p.ClientTLS.Protocols }},
		srvFlag("ssl_reject_handshake", "off", modSSL, "Refuse every TLS handshake with an unrecognized_name alert.",
			func(s *Server) *bool { return &tls(s).RejectHandshake }),
		{Name: "ssl_session_cache", Contexts: ss, Args: Arg12, Syntax: "off | none | [builtin[:size]] [shared:name:size]", Default: "none",
			Module: modSSL, Doc: "Server-side session cache; strait resumes sessions by ticket, the cache only says whether resumption by session ID is offered.",
			Set: setSessionCache, inherit: func(c, p *Server) { c.ClientTLS.SessionCache = p.ClientTLS.SessionCache }},
		{Name: "ssl_session_ticket_key", Contexts: ss, Args: Arg1, Syntax: "file", Module: modSSL, multi: true,
			Doc: "Session ticket keys (48 or 80 bytes); the first encrypts new tickets, all decrypt.",
			Set: func(s *scope, d *ngxconf.Directive) error {
				c := &s.lvl.srv.ClientTLS
				c.SessionTicketKeys = append(c.SessionTicketKeys, s.l.confPath(d.Args[0].Value))
				if c.TicketKeyPos.Line == 0 {
					c.TicketKeyPos = stmtPos(d)
				}
				return nil
			},
			inherit: func(c, p *Server) {
				c.ClientTLS.SessionTicketKeys, c.ClientTLS.TicketKeyPos = p.ClientTLS.SessionTicketKeys, p.ClientTLS.TicketKeyPos
			}},
		srvFlag("ssl_session_tickets", "on", modSSL, "Session resumption with tickets.",
			func(s *Server) *bool { return &tls(s).SessionTickets }),
		{Name: "ssl_session_timeout", Contexts: ss, Args: Arg1, Syntax: "time", Default: "5m", Module: modSSL,
			Doc: "How long a session may be resumed.",
			Set: func(s *scope, d *ngxconf.Directive) error {
				v, err := parseSec(d.Args[0].Value)
				if err != nil {
					return errorf(d, "%q directive invalid value", d.Name)
				}
				s.lvl.srv.ClientTLS.SessionTimeout = v
				return nil
			},
			inherit: func(c, p *Server) { c.ClientTLS.SessionTimeout = p.ClientTLS.SessionTimeout }},
		notYet("ssl_stapling", ss, ArgFlag, "on | off", "off", modSSL, "OCSP stapling."),
		notYet("ssl_stapling_file", ss, Arg1, "file", "", modSSL, "Stapled OCSP response from a file."),
		notYet("ssl_stapling_responder", ss, Arg1, "url", "", modSSL, "OCSP responder for stapling."),
		notYet("ssl_stapling_verify", ss, ArgFlag, "on | off", "off", modSSL, "Verify stapled OCSP responses."),
		sslFile("ssl_trusted_certificate", "CA certificates (PEM) for client certificate verification, not sent to clients.",
			func(c *ClientTLS) (*string, *ngxconf.Pos) { return &c.TrustedCertificate, &c.TrustedPos }),
		{Name: "ssl_verify_client", Contexts: ss, Args: Arg1, Syntax: "on | off | optional | optional_no_ca", Default: "off",
			Module: modSSL, Doc: "Request client certificates and verify them (on: required).",
			Set: func(s *scope, d *ngxconf.Directive) error {
				v := d.Args[0].Value
				switch v {
				case "on", "off", "optional", "optional_no_ca":
				default:
					return errorf(d, "invalid value %q", v)
				}
				c := &s.lvl.srv.ClientTLS
				c.VerifyClient, c.VerifyPos = v, stmtPos(d)
				return nil
			},
			inherit: func(c, p *Server) {
				c.ClientTLS.VerifyClient, c.ClientTLS.VerifyPos = p.ClientTLS.VerifyClient, p.ClientTLS.VerifyPos
			}},
		srvNum("ssl_verify_depth", "1", modSSL, "Maximum number of intermediate CAs between a client certificate and a trusted root.",
			func(s *Server) *int { return &tls(s).VerifyDepth }),
		srvFlag("ssl_preread", "off", modPreread, "Reads the ClientHello (SNI, ALPN, version) without consuming it, for the $ssl_preread_* variables and server_name, within preread_timeout and preread_buffer_size.",
			func(s *Server) *bool { return &s.SSLPreread }),
	}
}

// withStatus sets a table entry's status.
func withStatus(e Directive, st Status) Directive {
	e.Status = st
	return e
}

// sslFile is an inherited ngx_stream_ssl_module file name.
func sslFile(name, doc string, field func(*ClientTLS) (*string, *ngxconf.Pos)) Directive {
	return noVariables(srvFile(name, modSSL, doc, func(s *Server) (*string, *ngxconf.Pos) { return field(&s.ClientTLS) }))
}

// sslFileArg reads a certificate or key argument: "data:..." as written,
// a path resolved against the configuration directory. Variables would
// pick a certificate per session, which strait does not support yet.
func sslFileArg(s *scope, d *ngxconf.Directive) (string, error) {
	v := d.Args[0].Value
	if strings.HasPrefix(v, "data:") {
		return v, nil
	}
	if strings.Contains(v, "$") {
		return v, errorf(d, "variables in %q are not supported yet", d.Name)
	}
	return s.l.confPath(v), nil
}

// sslProtocolsArg parses ssl_protocols like proxy_ssl_protocols.
func sslProtocolsArg(s *scope, d *ngxconf.Directive) ([]string, error) {
	var out []string
	for _, a := range d.Args {
		known := false
		for _, p := range proxySSLProtocols {
			known = known || p == a.Value
		}
		switch {
		case !known:
			return nil, errorf(d, "invalid value %q", a.Value)
		case a.Value == "SSLv2" || a.Value == "SSLv3":
			return nil, errorf(d, "%q in %q is not supported: SSLv2 and SSLv3 are broken", a.Value, d.Name)
		case (a.Value == "TLSv1" || a.Value == "TLSv1.1") && !s.defaults:
			s.l.warn(stmtPos(d), "%s in %q is deprecated (RFC 8996)", a.Value, d.Name)
		}
		out = append(out, a.Value)
	}
	return out, nil
}
