package config

import (
	"io/fs"
	"reflect"
	"strings"
	"testing"
	"time"
)

const mainFile = "/etc/strait/strait.conf"

// loadFiles loads mainFile from an in-memory file system.
func loadFiles(files map[string]string, opts LoadOptions) (*Config, error) {
	opts.ReadFile = func(p string) ([]byte, error) {
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		return nil, fs.ErrNotExist
	}
	if opts.File == "" {
		opts.File = mainFile
	}
	if opts.Resolve == nil {
		opts.Resolve = fakeResolve
	}
	return Load(opts)
}

func loadText(text string) (*Config, error) {
	return loadFiles(map[string]string{mainFile: text}, LoadOptions{})
}

// stream wraps server-level lines in a stream with one server.
func stream(serverLines string) string {
	return "events {} stream {\n server {\n  listen 10001;\n  proxy_pass 127.0.0.1:1;\n" + serverLines + "\n }\n}\n"
}

func TestLoadErrors(t *testing.T) {
	const at = " in /etc/strait/strait.conf:"
	cases := []struct{ name, conf, want string }{
		{"listen in stream", "events {} stream { listen 1; }", `"listen" directive is not allowed here` + at + "1"},
		{"near miss", "events {} stream { server { listne 1; } }", `unknown directive "listne"` + at + `1 (did you mean "listen"?)`},
		{"quoted name", `events {} stream { "proxy_timeout" 1s; }`, ""},
		{"invalid port", stream("listen 127.0.0.1:99999;"), `invalid port in "127.0.0.1:99999" of the "listen" directive` + at + "5"},
		{"listen host", stream("listen nosuch.invalid:80;"), `host not found in "nosuch.invalid:80" of the "listen" directive` + at + "5"},
		{"backlog", stream("listen 2 backlog=x;"), `invalid backlog "backlog=x"` + at + "5"},
		{"rcvbuf", stream("listen 2 rcvbuf=zz;"), `invalid rcvbuf "rcvbuf=zz"` + at + "5"},
		{"keepalive", stream("listen 2 so_keepalive=maybe;"), `invalid so_keepalive value: "maybe"` + at + "5"},
		{"ipv6only", stream("listen [::]:2 ipv6only=yes;"), `the invalid "ipv6only=yes" parameter` + at + "5"},
		{"listen param", stream("listen 2 foo;"), `the invalid "foo" parameter` + at + "5"},
		{"fastopen", stream("listen 2 fastopen=3;"), `the "fastopen" parameter of "listen" is not supported yet` + at + "5"},
		{"duplicate default server", "events {} stream { server { listen 1 default_server; proxy_pass 127.0.0.1:1; }\nserver { listen 0.0.0.0:1 default_server; proxy_pass 127.0.0.1:1; } }",
			`a duplicate default server for 0.0.0.0:1` + at + "2"},
		{"duplicate listen in one server", stream("listen 10001;"), `a duplicate listen 0.0.0.0:10001` + at + "5"},
		{"duplicate listen options", "events {} stream { server { listen 1 backlog=5; proxy_pass 127.0.0.1:1; }\nserver { listen 1 rcvbuf=8k; proxy_pass 127.0.0.1:1; } }",
			`duplicate listen options for 0.0.0.0:1` + at + "2"},
		{"invalid server name", stream("server_name *x;"), `server name "*x" is invalid` + at + "5"},
		{"empty server name regex", stream("server_name ~;"), `empty regex in server name "~"` + at + "5"},
		{"invalid wildcard on shared address", "events {} stream { server { listen 1; server_name www.*.com; proxy_pass 127.0.0.1:1; }\nserver { listen 1; proxy_pass 127.0.0.1:1; } }",
			`invalid server name or wildcard "www.*.com" on 0.0.0.0:1` + at + "1"},
		{"pass without port", stream("pass 127.0.0.1;"), `"pass" directive has no port` + at + "5"},
		{"pass host name", stream("pass localhost:80;"), `"pass" directive has no addresses` + at + "5"},
		{"pass udp", "events {} stream { server { listen 1 udp; pass 127.0.0.1:2; } }", `cannot pass udp connection` + at + "1"},
		{"ipv6 and ipv4 coexist", "events {} stream { server { listen 1; listen [::]:1; proxy_pass 127.0.0.1:1; } }", ""},
		{"upstream no port", "events {} stream { upstream u { server 10.0.0.1; } }", `no port in upstream "10.0.0.1"` + at + "1"},
		{"upstream bad port", "events {} stream { upstream u { server 10.0.0.1:0; } }", `invalid port in upstream "10.0.0.1:0"` + at + "1"},
		{"upstream weight 0", "events {} stream { upstream u { server 10.0.0.1:1 weight=0; } }", `invalid parameter "weight=0"` + at + "1"},
		{"upstream fail_timeout ms", "events {} stream { upstream u { server 10.0.0.1:1 fail_timeout=1ms; } }", `invalid parameter "fail_timeout=1ms"` + at + "1"},
		{"slow_start", "events {} stream { upstream u { server 10.0.0.1:1 slow_start=10s; } }", `the "slow_start" parameter of "server" is not supported yet` + at + "1"},
		{"proxy_pass port range", stream("proxy_timeout 1s;\nproxy_pass 127.0.0.1:99999;"), `"proxy_pass" directive is duplicate` + at + "6"},
		{"zone syntax", "events {} stream { limit_conn_zone $a addr:10m; }", `invalid parameter "addr:10m"` + at + "1"},
		{"zone size", "events {} stream { limit_conn_zone $a zone=addr:10; }", `zone "zone=addr:10" is too small` + at + "1"},
		{"zone rebound", "events {} stream { limit_conn_zone $a zone=z:1m; limit_conn_zone $b zone=z:1m; }", `limit_conn_zone "z" is already bound to key "$a"` + at + "1"},
		{"limit_conn zero", "events {} stream { limit_conn_zone $a zone=z:1m; limit_conn z 0; }", `invalid number of connections "0"` + at + "1"},
		{"limit_conn dup", "events {} stream { limit_conn_zone $a zone=z:1m; limit_conn z 1; limit_conn z 2; }", `"limit_conn" directive is duplicate` + at + "1"},
		{"limit level", stream("limit_conn_log_level debug;"), `invalid value "debug"` + at + "5"},
		{"log_format dup", "events {} stream { log_format a x; log_format a y; }", `duplicate "log_format" name "a"` + at + "1"},
		{"log escape", "events {} stream { log_format a escape=xml x; }", `unknown log format escaping "xml"` + at + "1"},
		{"access_log off extra", stream("access_log off x;"), `invalid parameter "x"` + at + "5"},
		{"syslog port", "events {} stream { log_format a x; access_log syslog:server=127.0.0.1:99999 a; }", `invalid port in syslog server "127.0.0.1:99999"` + at + "1"},
		{"syslog port 0", "events {} stream { log_format a x; access_log syslog:server=localhost:0 a; }", `invalid port in syslog server "localhost:0"` + at + "1"},
		{"syslog host", "events {} stream { log_format a x; access_log syslog:server=nosuch.invalid a; }", `host not found in syslog server "nosuch.invalid"` + at + "1"},
		{"syslog no host", "events {} stream { log_format a x; access_log syslog:server= a; }", `no host in syslog server ""` + at + "1"},
		{"syslog uri", "events {} stream { log_format a x; access_log syslog:server=127.0.0.1:514/x a; }", `invalid host in syslog server "127.0.0.1:514/x"` + at + "1"},
		{"syslog empty", "events {} stream { log_format a x; access_log syslog: a; }", `unknown syslog parameter ""` + at + "1"},
		{"syslog trailing comma", "events {} stream { log_format a x; access_log syslog:server=127.0.0.1, a; }", `unknown syslog parameter ""` + at + "1"},
		{"syslog no server", "events {} stream { log_format a x; access_log syslog:tag=x a; }", `no syslog server specified` + at + "1"},
		{"syslog two servers", "events {} stream { log_format a x; access_log syslog:server=127.0.0.1,server=127.0.0.2 a; }", `duplicate syslog "server"` + at + "1"},
		{"syslog facility", "events {} stream { log_format a x; access_log syslog:server=127.0.0.1,facility=foo a; }", `unknown syslog facility "foo"` + at + "1"},
		{"syslog two facilities", "events {} stream { log_format a x; access_log syslog:server=127.0.0.1,facility=local0,facility=local1 a; }", `duplicate syslog "facility"` + at + "1"},
		{"syslog severity", "events {} stream { log_format a x; access_log syslog:server=127.0.0.1,severity=err a; }", `unknown syslog severity "err"` + at + "1"},
		{"syslog tag length", "events {} stream { log_format a x; access_log syslog:server=127.0.0.1,tag=abcdefghijabcdefghijabcdefghijabc a; }", `syslog tag length exceeds 32` + at + "1"},
		{"syslog tag chars", "events {} stream { log_format a x; access_log syslog:server=127.0.0.1,tag=a-b a; }", `syslog "tag" only allows alphanumeric characters and underscore` + at + "1"},
		{"syslog nohostname value", "events {} stream { log_format a x; access_log syslog:server=127.0.0.1,nohostname=1 a; }", `unknown syslog parameter "nohostname=1"` + at + "1"},
		{"syslog buffer", "events {} stream { log_format a x; access_log syslog:server=127.0.0.1 a buffer=4k; }", `logs to syslog cannot be buffered` + at + "1"},
		{"syslog gzip", "events {} stream { log_format a x; access_log syslog:server=127.0.0.1 a gzip; }", `logs to syslog cannot be buffered` + at + "1"},
		{"syslog flush", "events {} stream { log_format a x; access_log syslog:server=127.0.0.1 a flush=1s; }", `no buffer is defined for access_log "syslog:server=127.0.0.1"` + at + "1"},
		{"syslog no format", "events {} stream { log_format a x; access_log syslog:server=127.0.0.1; }", `log format is not specified` + at + "1"},
		{"gzip level 0", "events {} stream { log_format a x; access_log a.log a gzip=0; }", `invalid compression level "0"` + at + "1"},
		{"gzip level 10", "events {} stream { log_format a x; access_log a.log a gzip=10; }", `invalid compression level "10"` + at + "1"},
		{"gzip level x", "events {} stream { log_format a x; access_log a.log a gzip=x; }", `invalid compression level "x"` + at + "1"},
		{"gzip suffix", "events {} stream { log_format a x; access_log a.log a gzipx; }", `invalid parameter "gzipx"` + at + "1"},
		{"buffer zero", "events {} stream { log_format a x; access_log a.log a buffer=0; }", `invalid buffer size "0"` + at + "1"},
		{"olfc no max", "events {} stream { open_log_file_cache inactive=20s; }", `"open_log_file_cache" must have "max" parameter` + at + "1"},
		{"olfc max 0", "events {} stream { open_log_file_cache max=0; }", `"open_log_file_cache" must have "max" parameter` + at + "1"},
		{"olfc max x", "events {} stream { open_log_file_cache max=x; }", `invalid "open_log_file_cache" parameter "max=x"` + at + "1"},
		{"olfc max -1", "events {} stream { open_log_file_cache max=-1; }", `invalid "open_log_file_cache" parameter "max=-1"` + at + "1"},
		{"olfc inactive ms", "events {} stream { open_log_file_cache max=10 inactive=10ms; }", `invalid "open_log_file_cache" parameter "inactive=10ms"` + at + "1"},
		{"olfc min_uses", "events {} stream { open_log_file_cache max=10 min_uses=x; }", `invalid "open_log_file_cache" parameter "min_uses=x"` + at + "1"},
		{"olfc unknown", "events {} stream { open_log_file_cache max=10 foo; }", `invalid "open_log_file_cache" parameter "foo"` + at + "1"},
		{"olfc args", "events {} stream { open_log_file_cache max=10 a b c d; }", `invalid number of arguments in "open_log_file_cache" directive` + at + "1"},
		{"error_log syslog severity", "error_log syslog:server=127.0.0.1,severity=bad info;", `unknown syslog severity "bad"` + at + "1"},
		{"error_log syslog param", "events {} stream { error_log syslog:bad; }", `unknown syslog parameter "bad"` + at + "1"},
		{"error_log memory", "error_log memory:1m;", `"memory:" targets of "error_log" are not supported yet` + at + "1"},
		{"access_log buffer", "events {} stream { log_format a x; access_log a.log a buffer=big; }", `invalid buffer size "big"` + at + "1"},
		{"error_log level", "error_log x.log loud;", `invalid log level "loud"` + at + "1"},
		{"map params", "events {} stream { map $a $b { x; } }", `invalid number of the map parameters` + at + "1"},
		{"map default", "events {} stream { map $a $b {\ndefault 1;\ndefault 2;\n} }", `duplicate default map parameter` + at + "3"},
		{"map block", "events {} stream { map $a $b {\nx {\n} } }", `unexpected "{"` + at + "2"},
		{"map regex", "events {} stream { map $a $b { ~^(x 1; } }", `invalid regular expression "^(x": missing closing )` + at + "1"},
		{"proxy_bind", stream("proxy_bind not-an-ip;"), `invalid address "not-an-ip"` + at + "5"},
		{"tries", stream("proxy_next_upstream_tries many;"), `"proxy_next_upstream_tries" directive invalid number` + at + "5"},
		{"resolver param", "events {} stream { resolver 127.0.0.1 ipv6=maybe; }", `invalid parameter: ipv6=maybe` + at + "1"},
		{"events twice", "events {} events {}", `"events" directive is duplicate` + at + "1"},
		{"include args", "include a b;", `invalid number of arguments in "include" directive` + at + "1"},
		{"multi-line reported at ;", "events {} stream {\nserver {\nlisten\n10001\nfoo\n;\n} }", `the invalid "foo" parameter` + at + "6"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadText(c.conf)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != c.want {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}

func TestGlobals(t *testing.T) {
	cfg, err := loadFiles(map[string]string{mainFile: "daemon on; events {}"}, LoadOptions{Globals: "worker_processes 4; pid /run/x.pid;"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Main.WorkerProcesses != 4 || cfg.Main.PIDFile != "/run/x.pid" || !cfg.Main.Daemon {
		t.Errorf("globals not applied: %+v", cfg.Main)
	}
	cases := map[string]string{
		"daemon off;":                  `"daemon" directive is duplicate in /etc/strait/strait.conf:1`,
		"daemon maybe;":                `invalid value "maybe" in "daemon" directive, it must be "on" or "off" in command line`,
		"events {} stream { listen 1;": `unexpected end of file, expecting "}" in command line`,
		"proxy_pass x;":                `"proxy_pass" directive is not allowed here in command line`,
	}
	for globals, want := range cases {
		_, err := loadFiles(map[string]string{mainFile: "daemon on;"}, LoadOptions{Globals: globals})
		if err == nil || err.Error() != want {
			t.Errorf("-g %q: got %v, want %q", globals, err, want)
		}
	}
}

func TestPaths(t *testing.T) {
	files := map[string]string{
		"/etc/strait/strait.conf": `pid run/strait.pid; error_log logs/error.log;
events {} stream {
  log_format f x;
  access_log logs/access.log f;
  proxy_ssl_trusted_certificate certs/ca.pem;
  server { listen 1; proxy_pass 127.0.0.1:1; }
}`,
		"/etc/strait/certs/ca.pem": "",
	}
	cfg, err := loadFiles(files, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv := cfg.Stream.Servers[0]
	got := []string{cfg.Prefix, cfg.Main.PIDFile, cfg.Main.ErrorLogs[0].Path, srv.AccessLogs[0].Path, srv.SSL.TrustedCertificate}
	want := []string{"/etc/strait", "/etc/strait/run/strait.pid", "/etc/strait/logs/error.log", "/etc/strait/logs/access.log", "/etc/strait/certs/ca.pem"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("default prefix: got %q, want %q", got, want)
	}
	// With -p, logs and pid move to the prefix; files named in
	// directives stay relative to the configuration file.
	cfg, err = loadFiles(files, LoadOptions{File: "strait.conf", Prefix: "/etc/strait/"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.File != mainFile {
		t.Errorf("relative -c not resolved against -p: %s", cfg.File)
	}
	cfg, err = loadFiles(files, LoadOptions{File: mainFile, Prefix: "/var/lib/strait"})
	if err != nil {
		t.Fatal(err)
	}
	srv = cfg.Stream.Servers[0]
	got = []string{cfg.Main.PIDFile, srv.AccessLogs[0].Path, srv.SSL.TrustedCertificate}
	want = []string{"/var/lib/strait/run/strait.pid", "/var/lib/strait/logs/access.log", "/etc/strait/certs/ca.pem"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("-p: got %q, want %q", got, want)
	}
	if _, err := loadFiles(nil, LoadOptions{}); err == nil || !strings.Contains(err.Error(), `open() "/etc/strait/strait.conf" failed`) {
		t.Errorf("missing main file: %v", err)
	}
}

func TestInheritance(t *testing.T) {
	cfg, err := loadText(`events {} stream {
  proxy_timeout 1m;
  allow 10.0.0.0/8;
  deny all;
  log_format f x;
  access_log a.log f;
  error_log s.log;
  proxy_ssl_conf_command Groups X25519;
  server { listen 1; proxy_pass 127.0.0.1:1; }
  server { listen 2; proxy_pass 127.0.0.1:1; proxy_timeout 2s; deny 10.0.0.1; access_log off;
           error_log x.log; proxy_ssl_conf_command Options -SessionTicket; }
}`)
	if err != nil {
		t.Fatal(err)
	}
	a, b := cfg.Stream.Servers[0], cfg.Stream.Servers[1]
	if a.Proxy.Timeout != time.Minute || b.Proxy.Timeout != 2*time.Second {
		t.Errorf("proxy_timeout: %v %v", a.Proxy.Timeout, b.Proxy.Timeout)
	}
	if len(a.Access) != 2 || len(b.Access) != 1 || b.Access[0].CIDR != "10.0.0.1/32" {
		t.Errorf("allow/deny: %+v / %+v", a.Access, b.Access)
	}
	if len(a.AccessLogs) != 1 || len(b.AccessLogs) != 0 {
		t.Errorf("access_log: %+v / %+v", a.AccessLogs, b.AccessLogs)
	}
	if a.ErrorLogs[0].Path != "/etc/strait/s.log" || b.ErrorLogs[0].Path != "/etc/strait/x.log" || len(cfg.Stream.ErrorLogs) != 1 {
		t.Errorf("error_log: %+v / %+v", a.ErrorLogs, b.ErrorLogs)
	}
	if len(a.SSL.ConfCommands) != 1 || len(b.SSL.ConfCommands) != 1 || b.SSL.ConfCommands[0][0] != "Options" {
		t.Errorf("proxy_ssl_conf_command: %v / %v", a.SSL.ConfCommands, b.SSL.ConfCommands)
	}
}

// TestDefaults checks the defaults servers get, as documented by nginx
// 1.27.3+ for the stream modules.
func TestDefaults(t *testing.T) {
	cfg, err := loadText("events {} stream { server { listen 1; proxy_pass 127.0.0.1:1; } }")
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Stream.Servers[0]
	want := Server{
		Pos:       s.Pos,
		Listens:   s.Listens,
		ProxyPass: s.ProxyPass,
		Proxy: Proxy{ConnectTimeout: 60 * time.Second, Timeout: 10 * time.Minute, BufferSize: 16384,
			NextUpstream: true, Responses: -1},
		SSL: ProxySSL{Protocols: []string{"TLSv1.2", "TLSv1.3"}, Ciphers: "DEFAULT", VerifyDepth: 1,
			SessionReuse: true, Pos: s.Pos},
		ClientTLS: ClientTLS{Protocols: []string{"TLSv1.2", "TLSv1.3"}, Ciphers: "HIGH:!aNULL:!MD5", ECDHCurve: "auto",
			HandshakeTimeout: 60 * time.Second, SessionCache: SessionCache{Mode: "none"}, SessionTimeout: 5 * time.Minute,
			SessionTickets: true, VerifyClient: "off", VerifyDepth: 1},
		LimitConnLogLevel: "error", TCPNoDelay: true, PrereadTimeout: 30 * time.Second,
		PrereadBufferSize: 16384, ProxyProtocolTimeout: 30 * time.Second, HealthCheckTimeout: 5 * time.Second,
	}
	if !reflect.DeepEqual(*s, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", *s, want)
	}
	m := cfg.Main
	if !m.Daemon || m.WorkerConnections != 512 || m.WorkerProcesses != 0 || m.PIDFile != "/etc/strait/strait.pid" {
		t.Errorf("main defaults: %+v", m)
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("warnings without TLS: %v", cfg.Warnings)
	}
}

func TestDirectiveTable(t *testing.T) {
	seen := map[string]ContextMask{}
	for _, d := range Directives() {
		if d.Name == "" || d.Module == "" || d.Doc == "" || d.Contexts == 0 || d.Args == 0 {
			t.Errorf("%q: incomplete entry %+v", d.Name, d)
		}
		if strings.Contains(d.Doc, "\n") || !strings.HasSuffix(d.Doc, ".") {
			t.Errorf("%q: Doc must be one sentence line: %q", d.Name, d.Doc)
		}
		if seen[d.Name]&d.Contexts != 0 {
			t.Errorf("%q: two entries share a context", d.Name)
		}
		seen[d.Name] |= d.Contexts
		if (d.Status == NotYet) != (d.Set == nil && d.Status != Ignored && d.Name != "include" && d.Name != "debug_connection") {
			t.Errorf("%q: status %v with setter %v", d.Name, d.Status, d.Set != nil)
		}
	}
	for _, name := range []string{"proxy_ssl", "proxy_ssl_verify", "listen", "upstream", "ssl_certificate", "js_import",
		"zone_sync", "keyval", "geoip_country", "health_check", "split_clients", "geo", "pass", "set", "return",
		"set_real_ip_from", "ssl_preread", "map", "limit_conn", "allow", "worker_cpu_affinity", "events"} {
		if seen[name] == 0 {
			t.Errorf("table lacks %q", name)
		}
	}
}

// TestEventsRequired checks nginx's rules about the events block: it must
// be there, once, and load_module must come before it (and before stream).
func TestEventsRequired(t *testing.T) {
	for _, c := range []struct{ conf, want string }{
		{"stream {}", `no "events" section in configuration`},
		{"worker_processes 1;", `no "events" section in configuration`},
		{"events {}\nevents {}", `"events" directive is duplicate in ` + mainFile + ":2"},
		{"events {}\nload_module modules/ngx_stream_module.so;", `"load_module" directive is specified too late in ` + mainFile + ":2"},
		{"stream {}\nload_module modules/ngx_stream_module.so;\nevents {}", `"load_module" directive is specified too late in ` + mainFile + ":2"},
		{"load_module modules/ngx_stream_module.so;\nevents {}\nstream {}", ""},
	} {
		_, err := loadText(c.conf)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != c.want {
			t.Errorf("%q: got %q, want %q", c.conf, got, c.want)
		}
	}
}

// TestProxySSLCertificateData: a "data:" value is the PEM text itself and
// stays as written, not a file name under the configuration directory.
func TestProxySSLCertificateData(t *testing.T) {
	files := map[string]string{
		"/etc/strait/strait.conf": `events {} stream {
  server {
    listen 1; proxy_pass 127.0.0.1:1; proxy_ssl on;
    proxy_ssl_certificate "data:-----BEGIN CERTIFICATE-----";
    proxy_ssl_certificate_key "data:-----BEGIN PRIVATE KEY-----";
  }
}`,
	}
	cfg, err := loadFiles(files, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ssl := cfg.Stream.Servers[0].SSL
	if ssl.Certificate != "data:-----BEGIN CERTIFICATE-----" || ssl.CertificateKey != "data:-----BEGIN PRIVATE KEY-----" {
		t.Errorf("certificate %q, key %q: want the data: values as written", ssl.Certificate, ssl.CertificateKey)
	}
}
