// Package accesslog owns the stream access log: compiling nginx log_format
// strings into precompiled operations, rendering one line per finished
// session with nginx stream variable semantics, and the buffered, reopenable
// files that access_log directives write to.
//
// The proxy fills a Session when a connection ends; a Log renders it with its
// Format and hands the line to a Writer shared by every log using that path.
package accesslog
