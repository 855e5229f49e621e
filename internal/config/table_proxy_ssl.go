package config

import (
	"strings"
	"time"

	"github.com/straitproxy/strait/internal/ngxconf"
)

// proxySSLDirectives is the proxy_ssl_* part of ngx_stream_proxy_module:
// TLS to upstream servers.
func proxySSLDirectives() []Directive {
	return []Directive{
		{Name: "proxy_ssl", Contexts: streamSrv, Args: ArgFlag, Syntax: "on | off", Default: "off",
			Module: modProxy, Doc: "Use TLS for connections to the upstream servers.",
			Set: func(s *scope, d *ngxconf.Directive) error {
				v, err := flagArg(d)
				s.lvl.srv.SSL.Enabled, s.lvl.srv.SSL.Pos = v, stmtPos(d)
				return err
			},
			inherit: func(c, p *Server) { c.SSL.Enabled, c.SSL.Pos = p.SSL.Enabled, p.SSL.Pos }},
		certFile("proxy_ssl_certificate", "Client certificate (PEM, leaf first, then intermediates) presented to upstreams; with variables, chosen per attempt.",
			func(s *Server) (*string, *string, *ngxconf.Pos) {
				return &s.SSL.Certificate, &s.SSL.CertificateVar, &s.SSL.CertificatePos
			}),
		certFile("proxy_ssl_certificate_key", "Private key (PEM) of proxy_ssl_certificate; may have variables.",
			func(s *Server) (*string, *string, *ngxconf.Pos) {
				return &s.SSL.CertificateKey, &s.SSL.KeyVar, &s.SSL.KeyPos
			}),
		readNow(srvFile("proxy_ssl_password_file", modProxy, "Passphrases for the key, one per line, tried in order.",
			func(s *Server) (*string, *ngxconf.Pos) { return &s.SSL.PasswordFile, &s.SSL.PasswordPos })),
		{Name: "proxy_ssl_protocols", Contexts: streamSrv, Args: Arg1More,
			Syntax: "[TLSv1] [TLSv1.1] [TLSv1.2] [TLSv1.3]", Default: "TLSv1.2 TLSv1.3",
			Module: modProxy, Doc: "TLS versions offered to upstreams; SSLv2 and SSLv3 are refused.",
			Set: setProxySSLProtocols, inherit: func(c, p *Server) { c.SSL.Protocols = p.SSL.Protocols }},
		{Name: "proxy_ssl_ciphers", Contexts: streamSrv, Args: Arg1, Syntax: "ciphers", Default: "DEFAULT",
			Module: modProxy, Doc: "OpenSSL cipher list for TLS 1.2 and older (TLS 1.3 suites are fixed).",
			Set: func(s *scope, d *ngxconf.Directive) error {
				s.lvl.srv.SSL.Ciphers, s.lvl.srv.SSL.CiphersPos = d.Args[0].Value, stmtPos(d)
				return nil
			},
			inherit: func(c, p *Server) { c.SSL.Ciphers, c.SSL.CiphersPos = p.SSL.Ciphers, p.SSL.CiphersPos }},
		{Name: "proxy_ssl_name", Contexts: streamSrv, Args: Arg1, Syntax: "name", Module: modProxy,
			Doc: "Name to verify the upstream certificate against and send as SNI (a port is stripped); default: the host of proxy_pass. May have variables, evaluated per attempt.",
			Set: func(s *scope, d *ngxconf.Directive) error {
				s.lvl.srv.SSL.Name, s.lvl.srv.SSL.NamePos = d.Args[0].Value, stmtPos(d)
				return nil
			},
			inherit: func(c, p *Server) { c.SSL.Name, c.SSL.NamePos = p.SSL.Name, p.SSL.NamePos }},
		srvFlag("proxy_ssl_server_name", "off", modProxy, "Send the name (SNI) in the TLS handshake.",
			func(s *Server) *bool { return &s.SSL.ServerName }),
		{Name: "proxy_ssl_verify", Contexts: streamSrv, Args: ArgFlag, Syntax: "on | off", Default: "off",
			Module: modProxy, Doc: "Verify the upstream certificate against proxy_ssl_trusted_certificate and proxy_ssl_name.",
			Set: func(s *scope, d *ngxconf.Directive) error {
				v, err := flagArg(d)
				s.lvl.srv.SSL.Verify, s.lvl.srv.SSL.VerifyPos = v, stmtPos(d)
				return err
			},
			inherit: func(c, p *Server) { c.SSL.Verify, c.SSL.VerifyPos = p.SSL.Verify, p.SSL.VerifyPos }},
		srvNum("proxy_ssl_verify_depth", "1", modProxy, "Maximum number of intermediate CAs between the upstream certificate and a trusted root.",
			func(s *Server) *int { return &s.SSL.VerifyDepth }),
		srvFile("proxy_ssl_trusted_certificate", modProxy, "Trusted CA certificates (PEM) for proxy_ssl_verify; there is no fallback to the system store.",
			func(s *Server) (*string, *ngxconf.Pos) { return &s.SSL.TrustedCertificate, &s.SSL.TrustedPos }),
		srvFile("proxy_ssl_crl", modProxy, "Revoked certificates (PEM CRLs) checked at every level of the chain.",
			func(s *Server) (*string, *ngxconf.Pos) { return &s.SSL.CRL, &s.SSL.CRLPos }),
		srvFlag("proxy_ssl_session_reuse", "on", modProxy, "Resume TLS sessions with upstreams (cached per peer and TLS settings).",
			func(s *Server) *bool { return &s.SSL.SessionReuse }),
		{Name: "proxy_ssl_alpn", Contexts: streamSrv, Args: Arg1More, Syntax: "protocol ...",
			Module: "strait", Doc: "Extension: ALPN protocols offered to upstreams.",
			Set: func(s *scope, d *ngxconf.Directive) error {
				s.lvl.srv.SSL.ALPN = d.Values()
				return nil
			},
			inherit: func(c, p *Server) { c.SSL.ALPN = p.SSL.ALPN }},
		pinDirective(),
		{Name: "proxy_ssl_conf_command", Contexts: streamSrv, Args: Arg2, Syntax: "name value",
			Module: modProxy, Doc: "OpenSSL configuration command; those with a Go equivalent are applied, others refused.",
			multi: true,
			Set: func(s *scope, d *ngxconf.Directive) error {
				ssl := &s.lvl.srv.SSL
				ssl.ConfCommands = append(ssl.ConfCommands, [2]string{d.Args[0].Value, d.Args[1].Value})
				ssl.ConfCommandPos = append(ssl.ConfCommandPos, stmtPos(d))
				return nil
			},
			inherit: func(c, p *Server) {
				c.SSL.ConfCommands, c.SSL.ConfCommandPos = p.SSL.ConfCommands, p.SSL.ConfCommandPos
			}},
		{Name: "proxy_ssl_certificate_cache", Contexts: streamSrv, Args: Arg123, Syntax: "off | max=N [inactive=time] [valid=time]",
			Default: "off", Module: modProxy,
			Doc:     "Caches the certificates and keys proxy_ssl_certificate with variables names: at most max pairs, dropped when unused for inactive (10s), loaded again after valid (60s). Off loads them for every attempt.",
			Set:     setProxySSLCertificateCache,
			inherit: func(c, p *Server) { c.SSL.CertificateCache = p.SSL.CertificateCache }},
		notYet("proxy_ssl_key_log", streamSrv, Arg1, "path", "", modProxy, "Logs TLS keys of upstream connections in SSLKEYLOGFILE format."),
	}
}

// certFile is proxy_ssl_certificate or proxy_ssl_certificate_key: a
// file resolved against the configuration's directory, or a value with
// variables kept as written for each attempt to evaluate.
func certFile(name, doc string, field func(*Server) (path, expr *string, pos *ngxconf.Pos)) Directive {
	return Directive{
		Name: name, Contexts: streamSrv, Args: Arg1, Syntax: "file", Module: modProxy, Doc: doc,
		Set: func(s *scope, d *ngxconf.Directive) error {
			path, expr, pos := field(s.lvl.srv)
			*path, *expr, *pos = "", "", stmtPos(d)
			if v := d.Args[0].Value; strings.Contains(v, "$") {
				*expr = v
				s.lvl.srv.SSL.ConfDir = s.l.confDir
			} else if strings.HasPrefix(v, "data:") {
				*path = v // the PEM text itself, not a file name
			} else {
				*path = s.l.confPath(v)
			}
			return nil
		},
		inherit: func(c, p *Server) {
			cp, ce, cpos := field(c)
			pp, pe, ppos := field(p)
			*cp, *ce, *cpos = *pp, *pe, *ppos
			if *pe != "" {
				c.SSL.ConfDir = p.SSL.ConfDir
			}
		},
	}
}

// setProxySSLCertificateCache parses proxy_ssl_certificate_cache as
// ngx_stream_proxy_ssl_certificate_cache does.
func setProxySSLCertificateCache(s *scope, d *ngxconf.Directive) error {
	cc := CertificateCache{Inactive: 10 * time.Second, Valid: 60 * time.Second}
	off := false
	for _, a := range d.Args {
		v := a.Value
		var err error
		switch {
		case strings.HasPrefix(v, "max="):
			if cc.Max, err = parseNumber(v[len("max="):]); err == nil && cc.Max == 0 {
				err = errInvalidValue
			}
		case strings.HasPrefix(v, "inactive="):
			cc.Inactive, err = parseSec(v[len("inactive="):])
		case strings.HasPrefix(v, "valid="):
			cc.Valid, err = parseSec(v[len("valid="):])
		case v == "off":
			off = true
		default:
			err = errInvalidValue
		}
		if err != nil {
			return errorf(d, "invalid parameter %q", v)
		}
	}
	if off {
		s.lvl.srv.SSL.CertificateCache = CertificateCache{}
		return nil
	}
	if cc.Max == 0 {
		return errorf(d, "\"proxy_ssl_certificate_cache\" must have the \"max\" parameter")
	}
	s.lvl.srv.SSL.CertificateCache = cc
	return nil
}

// noVariables wraps a setter to refuse nginx variables in the value.
func noVariables(e Directive) Directive {
	set := e.Set
	e.Set = func(s *scope, d *ngxconf.Directive) error {
		if strings.Contains(d.Args[0].Value, "$") {
			return errorf(d, "variables in %q are not supported yet", d.Name)
		}
		return set(s, d)
	}
	return e
}

// readNow wraps a file setter to read the file while parsing, as nginx
// does for proxy_ssl_password_file.
func readNow(e Directive) Directive {
	set := e.Set
	e.Set = func(s *scope, d *ngxconf.Directive) error {
		p := s.l.confPath(d.Args[0].Value)
		if _, err := s.l.readFile(p); err != nil {
			return errorf(d, "open() %q failed (%s)", p, ngxconf.OSReason(err))
		}
		return set(s, d)
	}
	return e
}

var proxySSLProtocols = []string{"SSLv2", "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"}

func setProxySSLProtocols(s *scope, d *ngxconf.Directive) error {
	var out []string
	for _, a := range d.Args {
		// ngx_conf_set_bitmask_slot ignores case: "tlsv1.2" is TLSv1.2.
		v, known := parseEnum(a.Value, proxySSLProtocols...)
		switch {
		case !known:
			return errorf(d, "invalid value %q", a.Value)
		case v == "SSLv2" || v == "SSLv3":
			return errorf(d, "%q in %q is not supported: SSLv2 and SSLv3 are broken", a.Value, d.Name)
		case (v == "TLSv1" || v == "TLSv1.1") && !s.defaults:
			s.l.warn(stmtPos(d), "%s in %q is deprecated (RFC 8996)", v, d.Name)
		}
		out = append(out, v)
	}
	s.lvl.srv.SSL.Protocols = out
	return nil
}

// checkProxySSL runs nginx's load-time checks of a server's upstream TLS
// settings (ngx_stream_proxy_set_ssl) when proxy_ssl is on, and records
// warnings about unverified upstreams.
func (l *loader) checkProxySSL(srv *Server) error {
	ssl := &srv.SSL
	if ssl.Pos.Line == 0 {
		ssl.Pos = srv.Pos
	}
	if !ssl.Enabled {
		return nil
	}
	if ssl.CertificateVar != "" || ssl.KeyVar != "" {
		// nginx evaluates both per attempt once either has variables;
		// the one written without is then a constant expression.
		if ssl.CertificateVar == "" {
			ssl.CertificateVar, ssl.Certificate = ssl.Certificate, ""
		}
		if ssl.KeyVar == "" {
			ssl.KeyVar, ssl.CertificateKey = ssl.CertificateKey, ""
		}
		if ssl.KeyVar == "" {
			return errorAt(ssl.CertificatePos, "no \"proxy_ssl_certificate_key\" is defined for certificate %q", ssl.CertificateVar)
		}
	}
	if ssl.Certificate != "" {
		if ssl.CertificateKey == "" {
			return errorAt(ssl.CertificatePos, "no \"proxy_ssl_certificate_key\" is defined for certificate %q", ssl.Certificate)
		}
		if err := l.checkSSLReadable(ssl.CertificatePos, "certificate", ssl.Certificate); err != nil {
			return err
		}
		if err := l.checkSSLReadable(ssl.KeyPos, "certificate key", ssl.CertificateKey); err != nil {
			return err
		}
	}
	if !ssl.Verify && len(ssl.Pins) > 0 {
		// A pin narrows a verified chain; without verification there is
		// none, and honouring pins alone would quietly swap CA trust for
		// key trust.
		return errorAt(ssl.PinPos, "\"proxy_ssl_pin_sha256\" requires \"proxy_ssl_verify on\"")
	}
	if !ssl.Verify {
		if ssl.VerifyPos.Line == 0 {
			l.warnOnce(ssl.Pos, "proxy_ssl is on without proxy_ssl_verify: upstream certificates are not verified")
		} else {
			l.warnOnce(ssl.VerifyPos, "proxy_ssl_verify is off: upstream certificates are not verified")
		}
		return nil
	}
	if ssl.TrustedCertificate == "" {
		return errorAt(ssl.VerifyPos, "no proxy_ssl_trusted_certificate for proxy_ssl_verify")
	}
	if err := l.checkReadable(ssl.TrustedPos, "trusted certificate", ssl.TrustedCertificate); err != nil {
		return err
	}
	if ssl.CRL != "" {
		return l.checkReadable(ssl.CRLPos, "CRL", ssl.CRL)
	}
	return nil
}

// checkReadable reports a file that cannot be read; its content is
// checked later by the TLS layer.
func (l *loader) checkReadable(pos ngxconf.Pos, what, path string) error {
	if _, err := l.readFile(path); err != nil {
		return errorAt(pos, "cannot load %s %q: open() failed (%s)", what, path, ngxconf.OSReason(err))
	}
	return nil
}

// warnOnce records a warning unless the same one was already recorded,
// as happens for a stream-level setting inherited by many servers.
func (l *loader) warnOnce(pos ngxconf.Pos, msg string) {
	for _, w := range l.cfg.Warnings {
		if w.Pos == pos && w.Msg == msg {
			return
		}
	}
	l.warn(pos, "%s", msg)
}
