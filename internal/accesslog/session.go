package accesslog

import "github.com/straitproxy/strait/internal/vars"

// Session is what a stream session exposes to the access log: the
// variable engine's per-session state, which the proxy fills and the log
// only reads.
type Session = vars.Session

// Attempt is one try to reach an upstream peer.
type Attempt = vars.Attempt

// UpstreamSSL describes the TLS connection to the upstream peer.
type UpstreamSSL = vars.UpstreamSSL
