package vars

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"time"
)

// Session is the state of one stream session that variables read. The
// server and the proxy fill it as the session progresses; the access log
// renders it when the session ends. One goroutine owns a Session: it is
// not safe for concurrent use, because evaluating a map caches its value
// in the session.
type Session struct {
	Connection uint64    // $connection, the connection serial number
	Start, End time.Time // session start, and end once it has ended

	RemoteAddr net.Addr // client address (TCP or unix); after realip, the PROXY header's
	// RealIPRemoteAddr is the address the connection came from when the
	// realip phase replaced RemoteAddr with the PROXY header's; nil
	// otherwise ($realip_remote_addr, $realip_remote_port).
	RealIPRemoteAddr net.Addr
	ServerAddr       net.Addr // local address the client connected to

	// PROXY protocol header fields; "" when the listen has no
	// proxy_protocol or the header carried no addresses (LOCAL, UNKNOWN).
	ProxyProtocolAddr, ProxyProtocolPort             string
	ProxyProtocolServerAddr, ProxyProtocolServerPort string

	Protocol      string // "TCP" or "UDP"
	Status        int    // 200, 400, 403, 500, 502, 503; 0 while running
	BytesSent     int64  // bytes sent to the client
	BytesReceived int64  // bytes received from the client

	// Attempts holds one entry per upstream attempt, in order.
	Attempts []Attempt
	// UpstreamGroup is set when picking a peer failed with "no live
	// upstreams". Like nginx, it then shows as a trailing upstream entry
	// whose address is the group name, with zero bytes and "-" times.
	UpstreamGroup string
	// SSL describes the TLS connection of the last attempt.
	SSL UpstreamSSL
	// ClientTLS describes the TLS session with the client; nil when
	// the listen has no ssl or the handshake has not completed.
	ClientTLS *ClientTLS
	// Preread is what ssl_preread read from the ClientHello; nil before,
	// without ssl_preread, or when the client's bytes were not one.
	Preread *Preread

	// ServerName is $server_name: the first server_name of the block
	// that serves the session, once chosen.
	ServerName string
	Hostname   string // $hostname
	PID        int    // $pid

	cache cache // per-session values of cached variables and regex captures
}

// Attempt is one try to reach an upstream peer.
type Attempt struct {
	Addr          string // peer address as $upstream_addr shows it
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
	Used       bool   // TLS was used at all; when false every $upstream_ssl_* is not found
}

// slotState is what a session knows about one cached variable.
type slotState uint8

const (
	slotUnset    slotState = iota
	slotValid              // val holds the value
	slotNotFound           // evaluated: not found
	slotBusy               // being evaluated: a reference cycle reads it as not found
)

type slot struct {
	state slotState
	val   string
}

// cache is nginx's s->variables plus s->captures for one session. It is
// allocated on first use, so sessions whose configuration reads no map
// never pay for it.
type cache struct {
	slots []slot
	// The last successful regular expression match: its subject and the
	// submatch offsets, read by $1..$9 (nginx's s->captures_data).
	subject  string
	captures []int
}

// slot returns the cache entry i, growing the table on first use.
func (c *cache) slot(i int) *slot {
	switch {
	case c.slots == nil:
		// Room for a few at once: most configurations have few cached
		// variables, and one allocation per session is the aim.
		c.slots = make([]slot, i+1, max(i+1, 8))
	case i >= len(c.slots):
		c.slots = append(c.slots, make([]slot, i+1-len(c.slots))...)
	}
	return &c.slots[i]
}

// capture returns submatch n of the last match, "" when there is none.
func (c *cache) capture(n int) string {
	if 2*n+1 >= len(c.captures) || c.captures[2*n] < 0 {
		return ""
	}
	return c.subject[c.captures[2*n]:c.captures[2*n+1]]
}

// ClientTLS describes the TLS session with the client on listen ... ssl,
// for the $ssl_* variables; Session.ClientTLS is nil without one.
type ClientTLS struct {
	Protocol   string // "TLSv1.3"
	Cipher     string // OpenSSL name
	Curve      string // OpenSSL name of the key exchange group; "" when unknown
	ServerName string // SNI
	ALPN       string // the protocol agreed
	Reused     bool
	SessionID  []byte
	// Ciphers and Curves are what the client offered, named by Names
	// when a variable reads them.
	Ciphers []uint16
	Curves  []tls.CurveID
	Names   TLSNames
	Verify  string            // "SUCCESS", "FAILED:reason" or "NONE"
	Cert    *x509.Certificate // the client's certificate; nil when none
}

// TLSNames names cipher suites and groups as OpenSSL does.
type TLSNames interface {
	SuiteName(id uint16) string
	GroupName(id tls.CurveID) string
}
