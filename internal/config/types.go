// Package config is strait's stream *schema*: one directive table (contexts,
// arity, default, setter) over the syntax tree from ngxconf, nginx's
// inheritance rules (stream -> server, upstream defaults) and validation
// with nginx's error wording ("... in FILE:LINE"). Its output is a typed,
// immutable Config that the rest of strait builds a runtime from.
package config

import (
	"strings"
	"time"

	"github.com/straitproxy/strait/internal/ngxconf"
)

// Config is a whole validated configuration.
type Config struct {
	File    string           // main configuration file, absolute
	Prefix  string           // -p prefix; log and pid paths resolve against it
	Main    Main             // main and events contexts
	Stream  *Stream          // nil when there is no stream block
	Sources []ngxconf.Source // every file read, for -T
	// Warnings are risky but valid settings, printed by -t and logged at
	// start, e.g. TLS to upstreams without verification.
	Warnings []Warning
}

// Warning is a non-fatal remark about the configuration.
type Warning struct {
	Pos ngxconf.Pos
	Msg string
}

func (w Warning) String() string { return w.Msg + " in " + w.Pos.String() }

// Main holds the main-context and events settings.
type Main struct {
	WorkerProcesses       int // 0 means auto
	WorkerRlimitNofile    int
	PIDFile               string // absolute; "" when pid is off
	ErrorLogs             []ErrorLog
	Daemon                bool
	User                  string
	Group                 string        // second argument of user; "" when not given
	Env                   []string      // env directives as written: "NAME" or "NAME=value"
	WorkerConnections     int           // events { worker_connections }, default 512
	WorkerShutdownTimeout time.Duration // 0: wait for sessions indefinitely
	// StatusListen is the "ip:port" of the metrics and status endpoint
	// (status_listen, a strait extension); "" when off.
	StatusListen string
}

// ErrorLog is one error_log target.
type ErrorLog struct {
	Path   string  // absolute path, "stderr", or the "syslog:..." target as written
	Syslog *Syslog // the parsed target when Path starts with "syslog:"
	Level  string  // nginx level name: debug info notice warn error crit alert emerg
	Pos    ngxconf.Pos
}

// Syslog is a parsed "syslog:server=address[,facility=...][,severity=...]
// [,tag=...][,nohostname]" target of error_log or access_log.
type Syslog struct {
	Network    string // "udp" or "unixgram"
	Addr       string // "ip:port", resolved once at load as nginx does, or a socket path
	Facility   int    // index into syslog.Facilities; local7 (23) by default
	Severity   int    // index into syslog.Severities; info (6) by default; error_log lines use their own level
	Tag        string // "nginx" by default
	NoHostname bool
}

// Stream is the stream {} block.
type Stream struct {
	Servers        []*Server
	Upstreams      []*Upstream // in configuration order
	LogFormats     map[string]*LogFormat
	LimitConnZones map[string]*LimitConnZone
	Maps           []*Map
	Matches        map[string]*Match `json:",omitempty"` // match blocks by name
	Geos           []*Geo            // in configuration order
	SplitClients   []*SplitClients   // in configuration order
	ErrorLogs      []ErrorLog        // stream-level error_log; nil inherits Main
	// Resolvers are the resolver directive's name servers ("ip:port");
	// when set they resolve host names at load instead of the system
	// resolver.
	Resolvers       []string
	ResolverTimeout time.Duration // default 30s
	// ResolverValid (valid=) replaces answers' TTLs for names resolved
	// at run time; ResolverNoIPv4/NoIPv6 are ipv4=off and ipv6=off.
	ResolverValid  time.Duration `json:",omitempty"`
	ResolverNoIPv4 bool          `json:",omitempty"`
	ResolverNoIPv6 bool          `json:",omitempty"`
}

// HealthCheck is one health_check directive of a server block.
type HealthCheck struct {
	Interval   time.Duration // default 5s
	Jitter     time.Duration
	Fails      int    // default 1
	Passes     int    // default 1
	Port       int    // 0: the peer's own port
	Match      string `json:",omitempty"` // a match block's name
	Mandatory  bool   `json:",omitempty"`
	Persistent bool   `json:",omitempty"`
	Pos        ngxconf.Pos
}

// Match is a match {} block: what a health check sends and expects.
type Match struct {
	Name string
	// Send is written once connected (escapes such as \x80 decoded).
	Send string `json:",omitempty"`
	// Expect is the text the reply must contain, or with ExpectRegex a
	// regular expression it must match; empty expects nothing.
	Expect      string `json:",omitempty"`
	ExpectRegex bool   `json:",omitempty"`
	Pos         ngxconf.Pos
}

// Upstream is an upstream {} group.
type Upstream struct {
	Name    string
	Pos     ngxconf.Pos
	Servers []UpstreamServer
	Balance Balance `json:",omitzero"`
	// Zone and ZoneSize are the zone directive's name and size; strait
	// keeps a group's peer state in one process, so the zone only names
	// it.
	Zone     string `json:",omitempty"`
	ZoneSize int    `json:",omitempty"`
	// Resolver is the block's own resolver directive (and
	// resolver_timeout) for its resolve servers; nil uses the stream
	// block's.
	Resolver *UpstreamResolver `json:",omitempty"`
}

// UpstreamResolver is a resolver directive inside an upstream block.
type UpstreamResolver struct {
	Servers        []string
	Timeout        time.Duration // 0: the stream block's resolver_timeout
	Valid          time.Duration `json:",omitempty"`
	NoIPv4, NoIPv6 bool          `json:",omitempty"`
}

// Balance is an upstream's balancing method; the zero value is round
// robin.
type Balance struct {
	Method     string      // "least_conn", "hash", "random" or "" (round robin)
	Key        string      `json:",omitempty"` // hash key, an expression with variables
	KeyPos     ngxconf.Pos `json:",omitzero"`
	Consistent bool        `json:",omitempty"` // hash ... consistent
	Two        bool        `json:",omitempty"` // random two [least_conn]
	Pos        ngxconf.Pos
}

// UpstreamServer is one `server` line inside an upstream block.
type UpstreamServer struct {
	Address     string   // as written: host:port or unix:/path
	Addrs       []string // resolved at load: "ip:port" or "unix:/path"
	Weight      int      // default 1
	MaxFails    int      // default 1
	FailTimeout time.Duration
	MaxConns    int
	Backup      bool
	Down        bool
	// Resolve: the name is resolved again at run time (resolve);
	// Addrs is empty then. Service is service=, for SRV records.
	Resolve bool   `json:",omitempty"`
	Service string `json:",omitempty"`
	Pos     ngxconf.Pos
}

// Server is one server {} block with stream-level settings inherited.
type Server struct {
	Pos     ngxconf.Pos
	Listens []Listen
	// ServerNames are the block's server_name names; none without
	// server_name (nginx's `""`). ServerName is $server_name: the
	// first of them.
	ServerNames []ServerName `json:",omitempty"`
	ServerName  string       `json:",omitempty"`
	// Pass is the pass directive (ngx_stream_pass_module): the content
	// handler that hands the connection to another listen; nil
	// without.
	Pass      *Pass `json:",omitempty"`
	ProxyPass ProxyPass
	Proxy     Proxy
	// HealthChecks are the block's health_check directives (a strait
	// extension with NGINX Plus's syntax); HealthCheckTimeout bounds
	// each check (default 5s).
	HealthChecks       []HealthCheck `json:",omitempty"`
	HealthCheckTimeout time.Duration
	SSL                ProxySSL
	// ClientTLS is ngx_stream_ssl_module: TLS with clients on listen
	// ... ssl.
	ClientTLS ClientTLS
	Access    []AccessRule // allow/deny in order; empty allows all
	// Return, when set, serves the block's sessions instead of
	// proxy_pass (nginx's content handler is whichever came last).
	Return     *Return
	Sets       []SetVar     // set directives, in order
	RealIPFrom []RealIPFrom // set_real_ip_from, trusted PROXY header senders

	LimitConn         []LimitConn
	LimitConnLogLevel string // default "error"
	LimitConnDryRun   bool

	AccessLogs []AccessLog // empty: access_log off
	ErrorLogs  []ErrorLog  // nil inherits
	// OpenLogFileCache is open_log_file_cache for access_log paths with
	// variables; nil is off. Servers that inherit it from the stream
	// level share the pointer, and with it one cache, as nginx shares it.
	OpenLogFileCache *LogFileCache `json:",omitempty"`

	// SSLPreread is ssl_preread: read the ClientHello before the
	// content phase for the $ssl_preread_* variables and server_name.
	SSLPreread           bool
	TCPNoDelay           bool          // default on
	PrereadTimeout       time.Duration // default 30s
	PrereadBufferSize    int           // default 16k
	ProxyProtocolTimeout time.Duration // default 30s
}

// Listen is one listen directive.
type Listen struct {
	Network       string // "tcp", "udp" or "unix"
	Address       string // "127.0.0.1:8080", "[::]:80", "/path" for unix
	PortHigh      int    // > 0 for a port range; Address then holds the low port
	Backlog       int    // -1 when unset (system default)
	ReusePort     bool
	Bind          bool
	IPv6Only      bool // default on, as nginx
	RcvBuf        int
	SndBuf        int
	ProxyProtocol bool
	KeepAlive     KeepAlive
	SSL           bool // listen ... ssl: TLS with clients
	// DefaultServer: this block serves the address's sessions whose
	// name no server_name matches (else the first block on it does).
	DefaultServer bool
	Pos           ngxconf.Pos
}

// KeepAlive is the so_keepalive= listen parameter.
type KeepAlive struct {
	Set      bool // so_keepalive was given
	On       bool
	Idle     time.Duration
	Interval time.Duration
	Count    int
}

// ProxyPass names where sessions go: an upstream group or a single address.
type ProxyPass struct {
	// Value is proxy_pass with variables ("$upstream_by_name"): evaluated
	// per session, its value names an upstream block or an address.
	// Group, Address and Addrs are then empty.
	Value   string
	Group   string   // upstream name when it names an upstream block
	Address string   // host:port or unix:/path when it does not
	Addrs   []string // Address resolved at load: "ip:port" or "unix:/path"
	Pos     ngxconf.Pos
}

// Host returns the host part of proxy_pass: the group name for a group,
// the host without port for an address. nginx uses it as the default
// proxy_ssl_name.
func (p ProxyPass) Host() string {
	if p.Group != "" {
		return p.Group
	}
	return hostPart(p.Address)
}

// Proxy holds the ngx_stream_proxy_module session settings.
type Proxy struct {
	ConnectTimeout time.Duration // 60s
	Timeout        time.Duration // 10m, idle
	HalfClose      bool
	BufferSize     int // 16k
	UploadRate     int // bytes/s, 0 = unlimited
	DownloadRate   int
	// UploadRateVar and DownloadRateVar hold a rate written with
	// variables ("$rate"), evaluated per session as a size; "" when the
	// rate is a constant. The positions are where each was set.
	UploadRateVar, DownloadRateVar string
	UploadRatePos, DownloadRatePos ngxconf.Pos
	NextUpstream                   bool // on
	NextUpstreamTries              int  // 0 = unlimited
	NextUpstreamTimeout            time.Duration
	SocketKeepalive                bool
	Bind                           string // local address for upstream connections, "" = none
	// BindVar is proxy_bind written with variables, evaluated per
	// session; "" when Bind is a constant (or off).
	BindVar       string
	BindPos       ngxconf.Pos
	ProxyProtocol bool // send PROXY v1 to the upstream
	// Requests is proxy_requests: client datagrams after which a UDP
	// session stops taking more (the next one starts a new session); 0
	// is no limit.
	Requests int
	// Responses is proxy_responses: datagrams expected from the upstream
	// for each client datagram of a UDP session; -1 when not set (the
	// session ends only when idle for proxy_timeout).
	Responses int
}

// HasUDP reports whether any listen of the server is "udp".
func (s *Server) HasUDP() bool {
	for _, l := range s.Listens {
		if l.Network == "udp" {
			return true
		}
	}
	return false
}

// ProxySSL holds every proxy_ssl_* setting of a server block. File paths
// are absolute (resolved against the configuration file's directory).
type ProxySSL struct {
	Enabled            bool
	Certificate        string
	CertificateKey     string
	PasswordFile       string
	Protocols          []string // e.g. {"TLSv1.2", "TLSv1.3"}
	Ciphers            string   // OpenSSL cipher list, default "DEFAULT"
	TrustedCertificate string
	CRL                string
	Verify             bool
	VerifyDepth        int    // default 1
	Name               string // "" means the host part of proxy_pass
	ServerName         bool   // send SNI
	SessionReuse       bool   // default on
	ALPN               []string
	ConfCommands       [][2]string // proxy_ssl_conf_command name value
	// Pins are proxy_ssl_pin_sha256's SHA-256 digests of
	// SubjectPublicKeyInfo; empty when no key is pinned.
	Pins   [][32]byte
	PinPos ngxconf.Pos
	Pos    ngxconf.Pos // of the proxy_ssl directive (or the server block)
	// Positions of the file directives, for error messages.
	CertificatePos, KeyPos, TrustedPos, CRLPos, PasswordPos ngxconf.Pos
	VerifyPos, NamePos                                      ngxconf.Pos
	// Positions of proxy_ssl_ciphers and of each proxy_ssl_conf_command
	// (parallel to ConfCommands), for errors found when they are compiled.
	CiphersPos     ngxconf.Pos
	ConfCommandPos []ngxconf.Pos
	// CertificateVar and KeyVar are proxy_ssl_certificate and
	// proxy_ssl_certificate_key when either is written with variables
	// (the other then as written too): each attempt evaluates them, as
	// nginx 1.21.0 does, and Certificate and CertificateKey are empty.
	// A relative value resolves against ConfDir.
	CertificateVar, KeyVar string `json:",omitempty"`
	ConfDir                string `json:",omitempty"`
	// CertificateCache is proxy_ssl_certificate_cache: the pairs loaded
	// for CertificateVar; Max 0 is off (a load per attempt).
	CertificateCache CertificateCache `json:",omitempty"`
}

// CertificateCache is proxy_ssl_certificate_cache max=N inactive=
// valid=.
type CertificateCache struct {
	Max      int
	Inactive time.Duration // default 10s
	Valid    time.Duration // default 60s
}

// NameHasVariables reports whether proxy_ssl_name is written with
// variables: each attempt then evaluates it.
func (p *ProxySSL) NameHasVariables() bool { return strings.Contains(p.Name, "$") }

// AccessRule is one allow or deny line.
type AccessRule struct {
	Allow bool
	All   bool
	Unix  bool   // "unix:"
	CIDR  string // "10.0.0.0/8" or a single address as /32 or /128
}

// LimitConnZone is a limit_conn_zone declaration.
type LimitConnZone struct {
	Name string
	Key  string // e.g. "$binary_remote_addr"
	Size int
	Pos  ngxconf.Pos
}

// LimitConn is a limit_conn line.
type LimitConn struct {
	Zone string
	Max  int
}

// LogFormat is a named log_format.
type LogFormat struct {
	Name   string
	Escape string // default, json, none
	Format string // the concatenated format strings
	Pos    ngxconf.Pos
}

// AccessLog is one access_log target.
type AccessLog struct {
	Path   string  // absolute, or the "syslog:..." target as written
	Syslog *Syslog // the parsed target when Path starts with "syslog:"
	// PathHasVariables marks a Path evaluated per record, as nginx
	// evaluates it at log time; the prefix is already in front of a
	// relative one.
	PathHasVariables bool   `json:",omitempty"`
	Format           string // name of a LogFormat
	Buffer           int
	Flush            time.Duration
	Gzip             int    // compression level 1-9 of each flushed buffer; 0: none
	If               string // variable whose "" or "0" value skips the record
	Pos              ngxconf.Pos
}

// LogFileCache is open_log_file_cache: nginx's defaults are inactive=10s,
// min_uses=1, valid=60s.
type LogFileCache struct {
	Max      int
	Inactive time.Duration
	MinUses  int
	Valid    time.Duration
	Pos      ngxconf.Pos
}

// Map is a map {} block: a variable computed from another.
type Map struct {
	Source     string // e.g. "$remote_addr"
	Variable   string // e.g. "name" (without "$")
	Default    string
	HasDefault bool
	Hostnames  bool
	Volatile   bool // the value is computed on every use, never cached
	Entries    []MapEntry
	Pos        ngxconf.Pos // of the map directive
	DefaultPos ngxconf.Pos
}

// MapEntry is one source->value pair of a map.
type MapEntry struct {
	// Match is the exact string (lower-case: nginx's map hash ignores
	// case), the wildcard when Wildcard is set, or the regex when Regex
	// is set.
	Match           string
	Regex           bool
	CaseInsensitive bool
	// Wildcard marks "*.example.com", ".example.com" or "www.example.*"
	// after the hostnames parameter.
	Wildcard bool
	Value    string
	Pos      ngxconf.Pos
}
