// Package proxy owns one stream session after the server has accepted it:
// picking peers from the upstream group, dialing them within
// proxy_connect_timeout (with proxy_bind, keepalive and nodelay), sending a
// PROXY protocol header, running the upstream TLS handshake, retrying within
// proxy_next_upstream, then piping bytes both ways with nginx's idle timeout,
// half-close and rate limits. It also reads PROXY protocol headers from
// clients for the server's listeners.
//
// Errors are logged in nginx's words through slog attributes that the errlog
// handler renders ("conn", "action", "client", "server", "upstream"); the
// session's outcome is written into an accesslog.Session for the access log.
package proxy
