package metrics

import "time"

// Snapshot is the server's state at one instant, as the collector and
// /status read it. Counters are totals since the process started; they
// survive reloads.
type Snapshot struct {
	Active    int64          // sessions running now
	Accepted  uint64         // connections accepted
	Handled   uint64         // connections that became sessions
	Statuses  map[int]uint64 // finished sessions by $status
	Bytes     Bytes          // bytes carried by finished sessions
	Upstreams []Upstream     // groups of the running configuration, in configuration order
	Servers   []Server       // server blocks of the running configuration, in configuration order
	TLS       TLS            // proxy_ssl files: rotations, certificates and CRLs in use
	ClientTLS ClientTLS      // handshakes with clients on listen ... ssl
}

// Bytes counts the bytes of finished sessions in each direction, added
// once when a session ends.
type Bytes struct {
	FromClient   uint64 // received from clients
	ToClient     uint64 // sent to clients
	FromUpstream uint64 // received from upstream peers
	ToUpstream   uint64 // sent to upstream peers
}

// Upstream is one upstream group: an upstream {} block, or the implicit
// group of a proxy_pass address (named by that address).
type Upstream struct {
	Name string
	// TLS is set when a server block proxies to the group with proxy_ssl
	// on; the handshake series are then exported even while zero.
	TLS   bool
	Peers []Peer // primaries then backups, each in configuration order
}

// Peer is one address of an upstream group: its configuration, its
// current balancing state and its counters.
type Peer struct {
	Addr   string // the address dialled: "ip:port" or "unix:/path"
	Name   string // the server as written in the configuration
	Weight int
	Backup bool
	Down   bool
	// Up is set when the balancer may pick the peer: it is not marked
	// down, max_fails has not taken it out and health checks let it in.
	Up    bool
	Conns int // sessions connected or connecting to the peer now
	Fails int // failures counted towards max_fails in the current fail_timeout
	// UnavailableUntil is when a peer taken out by max_fails becomes
	// selectable again; zero when it is not out.
	UnavailableUntil time.Time
	// Selections counts the attempts balancers gave the peer.
	Selections uint64
	// Health is the active health-check state: "unchecked" (no check
	// configured or run yet), "checking" (mandatory, not passed yet),
	// "up" or "unhealthy"; HealthReason why the last check failed;
	// LastCheck when the last check ended.
	Health       string
	HealthReason string
	LastCheck    time.Time
	// Origin is where the peer comes from: "config", or the name whose
	// DNS records gave its address.
	Origin string

	Attempts   Attempts
	Handshakes Handshakes
	// CertificateNotAfter is when the certificate the peer presented in
	// its last TLS handshake expires; zero before any.
	CertificateNotAfter time.Time
	// VerifyFailures counts the VerifyError and PinMismatch attempts by
	// reason, in OpenSSL's words ("certificate has expired", "hostname
	// mismatch", "pin mismatch"); nil when there were none.
	VerifyFailures map[string]uint64
}

// Server is one server block: its sessions and the bytes its clients
// exchanged. Counters are kept by Name, so a reload that keeps the
// block's listen addresses carries them on.
type Server struct {
	Name     string // the block's listen addresses ("0.0.0.0:80" for "listen 80"), comma-separated
	Pos      string // where the block starts: "FILE:LINE"
	Active   int64  // sessions running now
	Sessions uint64 // finished sessions
	Bytes    Bytes  // FromClient and ToClient of its finished sessions
}

// Attempts counts a peer's connection attempts by outcome. An attempt is
// one try to reach the peer: the connect and, with proxy_ssl, the TLS
// handshake. Attempts cut by a shutdown count nowhere.
type Attempts struct {
	OK             uint64 // connected (and handshaken)
	ConnectError   uint64 // connect refused, unreachable, PROXY header write failed
	ConnectTimeout uint64 // proxy_connect_timeout passed while connecting
	HandshakeError uint64 // TLS handshake failed or timed out
	VerifyError    uint64 // the peer's certificate was refused (chain, name, CRL)
	PinMismatch    uint64 // the chain verified but no key in it is in proxy_ssl_pin_sha256
}

// Failed is the number of failed attempts.
func (a Attempts) Failed() uint64 {
	return a.ConnectError + a.ConnectTimeout + a.HandshakeError + a.VerifyError + a.PinMismatch
}

// Handshakes counts a peer's completed TLS handshakes.
type Handshakes struct {
	New     uint64 // full handshakes
	Resumed uint64 // resumed sessions
}
