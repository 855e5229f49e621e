package config

// otherDirectives are the stream modules strait does not implement yet:
// geoip, js, keyval, zone_sync and pass.
func otherDirectives() []Directive {
	ss := streamSrv
	const (
		js       = "ngx_stream_js_module"
		zoneSync = "ngx_stream_zone_sync_module"
		geoip    = "ngx_stream_geoip_module"
		hc       = "ngx_stream_upstream_hc_module"
		keyval   = "ngx_stream_keyval_module"
	)
	return []Directive{
		notYet("geoip_country", CtxStream, Arg12, "file", "", geoip, "GeoIP country database."),
		notYet("geoip_city", CtxStream, Arg12, "file", "", geoip, "GeoIP city database."),
		notYet("geoip_org", CtxStream, Arg12, "file", "", geoip, "GeoIP organisation database."),
		notYet("js_access", ss, Arg1, "function | module.function", "", js, "njs access handler."),
		notYet("js_context_reuse", ss, Arg1, "number", "128", js, "njs context reuse."),
		notYet("js_engine", ss, Arg1, "njs | qjs", "njs", js, "JavaScript engine."),
		notYet("js_fetch_buffer_size", ss, Arg1, "size", "16k", js, "Fetch API buffer size."),
		notYet("js_fetch_ciphers", ss, Arg1, "ciphers", "HIGH:!aNULL:!MD5", js, "Fetch API ciphers."),
		notYet("js_fetch_max_response_buffer_size", ss, Arg1, "size", "1m", js, "Fetch API response limit."),
		notYet("js_fetch_protocols", ss, Arg1More, "[TLSv1] [TLSv1.1] [TLSv1.2] [TLSv1.3]", "TLSv1 TLSv1.1 TLSv1.2", js, "Fetch API protocols."),
		notYet("js_fetch_timeout", ss, Arg1, "time", "60s", js, "Fetch API timeout."),
		notYet("js_fetch_trusted_certificate", ss, Arg1, "file", "", js, "Fetch API trusted CAs."),
		notYet("js_fetch_verify", ss, ArgFlag, "on | off", "on", js, "Fetch API verification."),
		notYet("js_fetch_verify_depth", ss, Arg1, "number", "100", js, "Fetch API verification depth."),
		notYet("js_filter", ss, Arg1, "function | module.function", "", js, "njs data filter."),
		notYet("js_import", ss, Arg12, "module.js | export_name from module.js", "", js, "Imports an njs module."),
		notYet("js_include", CtxStream, Arg1, "file", "", js, "Obsolete njs include."),
		notYet("js_path", ss, Arg1, "path", "", js, "njs module path."),
		notYet("js_periodic", CtxServer, Arg1More, "function [interval=time] [jitter=number] [worker_affinity=mask]", "", js, "Periodic njs handler."),
		notYet("js_preload_object", ss, Arg13, "name.json | name from file.json", "", js, "Preloaded immutable object."),
		notYet("js_preread", ss, Arg1, "function | module.function", "", js, "njs preread handler."),
		notYet("js_set", ss, Arg23, "$variable function [nocache]", "", js, "Variable set by an njs function."),
		notYet("js_shared_dict_zone", CtxStream, Arg1More, "zone=name:size [timeout=time] [type=string|number] [evict]", "", js, "Shared dictionary."),
		notYet("js_var", ss, Arg12, "$variable [value]", "", js, "Writable variable."),
		notYet("keyval", CtxStream, Arg3, "key $variable zone=name", "", keyval, "Variable looked up in a key-value zone."),
		notYet("keyval_zone", CtxStream, Arg1More, "zone=name:size [state=file] [timeout=time] [type=string|ip|prefix] [sync]", "", keyval, "Key-value shared memory zone."),
		notYet("zone_sync", CtxServer, ArgNone, "", "", zoneSync, "Synchronises shared memory zones across a cluster."),
		notYet("zone_sync_buffers", ss, Arg2, "number size", "8 4k|8k", zoneSync, "Per-zone sync buffers."),
		notYet("zone_sync_connect_retry_interval", ss, Arg1, "time", "1s", zoneSync, "Reconnect interval."),
		notYet("zone_sync_connect_timeout", ss, Arg1, "time", "5s", zoneSync, "Connect timeout."),
		notYet("zone_sync_interval", ss, Arg1, "time", "1s", zoneSync, "Polling interval."),
		notYet("zone_sync_recv_buffer_size", ss, Arg1, "size", "4k|8k", zoneSync, "Receive buffer size."),
		notYet("zone_sync_server", CtxServer, Arg12, "address [resolve]", "", zoneSync, "Cluster member."),
		notYet("zone_sync_ssl", ss, ArgFlag, "on | off", "off", zoneSync, "TLS between cluster members."),
		notYet("zone_sync_ssl_certificate", ss, Arg1, "file", "", zoneSync, "Client certificate for cluster TLS."),
		notYet("zone_sync_ssl_certificate_key", ss, Arg1, "file", "", zoneSync, "Client key for cluster TLS."),
		notYet("zone_sync_ssl_ciphers", ss, Arg1, "ciphers", "DEFAULT", zoneSync, "Ciphers for cluster TLS."),
		notYet("zone_sync_ssl_conf_command", ss, Arg2, "name value", "", zoneSync, "OpenSSL command for cluster TLS."),
		notYet("zone_sync_ssl_crl", ss, Arg1, "file", "", zoneSync, "CRL for cluster TLS."),
		notYet("zone_sync_ssl_name", ss, Arg1, "name", "", zoneSync, "Name verified in cluster TLS."),
		notYet("zone_sync_ssl_password_file", ss, Arg1, "file", "", zoneSync, "Key passphrases for cluster TLS."),
		notYet("zone_sync_ssl_protocols", ss, Arg1More, "[TLSv1] [TLSv1.1] [TLSv1.2] [TLSv1.3]", "TLSv1.2 TLSv1.3", zoneSync, "Protocols of cluster TLS."),
		notYet("zone_sync_ssl_server_name", ss, ArgFlag, "on | off", "off", zoneSync, "SNI in cluster TLS."),
		notYet("zone_sync_ssl_trusted_certificate", ss, Arg1, "file", "", zoneSync, "Trusted CAs for cluster TLS."),
		notYet("zone_sync_ssl_verify", ss, ArgFlag, "on | off", "off", zoneSync, "Verify cluster members."),
		notYet("zone_sync_ssl_verify_depth", ss, Arg1, "number", "1", zoneSync, "Verification depth of cluster TLS."),
		notYet("zone_sync_timeout", ss, Arg1, "timeout", "5s", zoneSync, "Timeout between cluster reads or writes."),
		{Name: "pass", Contexts: CtxServer, Args: Arg1, Syntax: "address", Module: "ngx_stream_pass_module",
			Doc: "Passes the connection, with whatever was already read from it, to the listen of this strait that has the address (may contain variables), whose server block then runs its own phases (nginx 1.25.5).",
			Set: setPass},
	}
}
