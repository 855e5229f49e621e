// Package server owns strait's runtime: it builds an immutable snapshot
// from a config.Config (upstream groups, TLS clients, access and error
// logs, allow/deny rules, limit_conn zones, listener routing), binds the
// listening sockets with their listen parameters, runs the accept loops
// within worker_connections and the open-files limit, applies nginx's
// pre-proxy phases (PROXY protocol, limit_conn, access) and hands sessions
// to package proxy.
// Reload swaps snapshots without closing kept sockets; old sessions finish
// on the snapshot they started with. Shutdown drains, Close cuts.
package server
