package config

const (
	modSSL     = "ngx_stream_ssl_module"
	modPreread = "ngx_stream_ssl_preread_module"
)

// sslDirectives is ngx_stream_ssl_module (TLS towards clients, on
// listen ... ssl) and ngx_stream_ssl_preread_module; strait does not
// terminate client TLS yet.
func sslDirectives() []Directive {
	ss := streamSrv
	return []Directive{
		notYet("ssl_alpn", ss, Arg1More, "protocol ...", "", modSSL, "ALPN protocols offered to clients."),
		notYet("ssl_certificate", ss, Arg1, "file", "", modSSL, "Server certificate (PEM)."),
		notYet("ssl_certificate_cache", ss, Arg123, "off | max=N [inactive=time] [valid=time]", "off", modSSL, "Cache of certificates named with variables."),
		notYet("ssl_certificate_key", ss, Arg1, "file", "", modSSL, "Server private key (PEM)."),
		notYet("ssl_ciphers", ss, Arg1, "ciphers", "HIGH:!aNULL:!MD5", modSSL, "Cipher list offered to clients."),
		notYet("ssl_client_certificate", ss, Arg1, "file", "", modSSL, "CA certificates for client certificate verification."),
		notYet("ssl_conf_command", ss, Arg2, "name value", "", modSSL, "OpenSSL configuration command."),
		notYet("ssl_crl", ss, Arg1, "file", "", modSSL, "Revoked client certificates."),
		notYet("ssl_dhparam", ss, Arg1, "file", "", modSSL, "DH parameters for DHE ciphers."),
		notYet("ssl_ecdh_curve", ss, Arg1, "curve", "auto", modSSL, "Curves for ECDHE."),
		notYet("ssl_handshake_timeout", ss, Arg1, "time", "60s", modSSL, "Timeout of the client TLS handshake."),
		notYet("ssl_key_log", ss, Arg1, "path", "", modSSL, "Logs client TLS keys in SSLKEYLOGFILE format."),
		notYet("ssl_ocsp", ss, Arg1, "on | off | leaf", "off", modSSL, "OCSP validation of client certificates."),
		notYet("ssl_ocsp_cache", ss, Arg1, "off | [shared:name:size]", "off", modSSL, "Cache of OCSP responses."),
		notYet("ssl_ocsp_responder", ss, Arg1, "url", "", modSSL, "OCSP responder for client certificates."),
		notYet("ssl_password_file", ss, Arg1, "file", "", modSSL, "Passphrases for the server key."),
		notYet("ssl_prefer_server_ciphers", ss, ArgFlag, "on | off", "off", modSSL, "Prefer the server's cipher order."),
		notYet("ssl_protocols", ss, Arg1More, "[TLSv1] [TLSv1.1] [TLSv1.2] [TLSv1.3]", "TLSv1.2 TLSv1.3", modSSL, "TLS versions accepted from clients."),
		notYet("ssl_reject_handshake", ss, ArgFlag, "on | off", "off", modSSL, "Reject TLS handshakes."),
		notYet("ssl_session_cache", ss, Arg12, "off | none | [builtin[:size]] [shared:name:size]", "none", modSSL, "Server-side session cache."),
		notYet("ssl_session_ticket_key", ss, Arg1, "file", "", modSSL, "Keys of session tickets."),
		notYet("ssl_session_tickets", ss, ArgFlag, "on | off", "on", modSSL, "Session resumption with tickets."),
		notYet("ssl_session_timeout", ss, Arg1, "time", "5m", modSSL, "Lifetime of cached sessions."),
		notYet("ssl_stapling", ss, ArgFlag, "on | off", "off", modSSL, "OCSP stapling."),
		notYet("ssl_stapling_file", ss, Arg1, "file", "", modSSL, "Stapled OCSP response from a file."),
		notYet("ssl_stapling_responder", ss, Arg1, "url", "", modSSL, "OCSP responder for stapling."),
		notYet("ssl_stapling_verify", ss, ArgFlag, "on | off", "off", modSSL, "Verify stapled OCSP responses."),
		notYet("ssl_trusted_certificate", ss, Arg1, "file", "", modSSL, "CA certificates for OCSP and client verification, not sent."),
		notYet("ssl_verify_client", ss, Arg1, "on | off | optional | optional_no_ca", "off", modSSL, "Request and verify client certificates."),
		notYet("ssl_verify_depth", ss, Arg1, "number", "1", modSSL, "Depth of client certificate chains."),
		notYet("ssl_preread", ss, ArgFlag, "on | off", "off", modPreread, "Reads the ClientHello (SNI, ALPN) before choosing the upstream."),
	}
}
