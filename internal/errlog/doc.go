// Package errlog owns the error log: a slog.Handler that writes lines shaped
// exactly like nginx's error_log, the nginx severity levels, fan-out to
// several error_log targets with their own levels, reopenable files, the
// Set of files one configuration names, and the Switch that lets the
// process's own messages follow error_log across reloads.
//
// A line looks like
//
//	2026/11/29 11:04:01 [error] 1234#1234: *5 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: 0.0.0.0:12345, upstream: "127.0.0.1:9000", bytes from/to client:0/0, bytes from/to upstream:0/0
//
// The record message is the text after "*N "; the well-known attributes conn,
// action, client, server, upstream, bytes_client and bytes_upstream build the
// nginx suffix, and any other attribute is appended as ", key: value".
//
// nginx prints pid#tid. Go has no stable thread identity for a goroutine, so
// the handler prints the process id in both places, which is what a
// threaded nginx build prints for its main thread.
package errlog
