// Package upstream owns upstream groups and their peers: the smooth weighted
// round-robin balancer, passive failure accounting (max_fails/fail_timeout),
// backup servers, max_conns and the per-session "tried" set that bounds
// next-upstream retries. It follows the semantics of nginx 1.22's stream
// round-robin balancer (ngx_stream_upstream_round_robin.c); README.md lists
// the details and the few deliberate differences.
//
// The package opens no sockets and reads the clock only through
// Options.Now, so every decision is reproducible in tests.
package upstream
