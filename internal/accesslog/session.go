package accesslog

import (
	"net"
	"time"
)

// Session is what a finished stream session exposes to the access log. The
// proxy fills it; the log only reads it.
type Session struct {
	Connection uint64    // $connection, the connection serial number
	Start, End time.Time // session start and end; End also drives $msec and $time_*

	RemoteAddr net.Addr // client address (TCP or unix)
	ServerAddr net.Addr // local address the client connected to

	ProxyProtocolAddr string // client address from the PROXY header, "" when unset
	ProxyProtocolPort string // client port from the PROXY header, "" when unset

	Protocol      string // "TCP"
	Status        int    // 200, 400, 403, 500, 502, 503
	BytesSent     int64  // bytes sent to the client
	BytesReceived int64  // bytes received from the client

	// Attempts holds one entry per upstream attempt, in order.
	Attempts []Attempt
	// UpstreamGroup is set when picking a peer failed with "no live
	// upstreams". Like nginx, it then logs as a trailing upstream entry whose
	// address is the group name, with zero bytes and "-" connect times.
	UpstreamGroup string
	// SSL describes the TLS connection of the last attempt.
	SSL UpstreamSSL

	Hostname string // $hostname
	PID      int    // $pid

	// Vars holds extra variables (for example from map), looked up after
	// the built-in ones. A missing name logs as not found ("-"); a present
	// empty value logs as nothing.
	Vars map[string]string
}

// Attempt is one try to reach an upstream peer.
type Attempt struct {
	Addr          string // peer address as logged by $upstream_addr
	BytesSent     int64  // bytes sent to the peer
	BytesReceived int64  // bytes received from the peer

	ConnectTime   time.Duration // TCP connect plus TLS handshake; valid when Connected
	FirstByteTime time.Duration // time to the first byte from the peer; valid when GotFirstByte
	SessionTime   time.Duration // time from the start of the attempt to its end

	Connected    bool
	GotFirstByte bool
}

// UpstreamSSL describes the TLS connection to the upstream peer.
type UpstreamSSL struct {
	Protocol   string // "TLSv1.3"
	Cipher     string // OpenSSL-style suite name
	Reused     bool   // the session was resumed
	Verify     string // "OK" or the verification failure reason
	ServerName string // name sent as SNI / used for verification
	Used       bool   // TLS was used at all; when false every $upstream_ssl_* is empty
}
