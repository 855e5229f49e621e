// Package upstream owns upstream groups and their peers: the balancers
// (smooth weighted round robin, least_conn, hash and consistent hash,
// random), passive failure accounting (max_fails/fail_timeout), backup
// servers, max_conns, the per-session "tried" set that bounds
// next-upstream retries, peer state that outlives a reload, and the
// health state active checks feed. It follows nginx's stream upstream
// modules (ngx_stream_upstream_round_robin.c, _least_conn_, _hash_,
// _random_module.c); README.md lists the details and the few deliberate
// differences.
//
// The package opens no sockets and reads the clock only through
// Options.Now, so every decision is reproducible in tests.
package upstream
