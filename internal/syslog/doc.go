// Package syslog sends log lines to a syslog server the way nginx's
// syslog: targets do (src/core/ngx_syslog.c): one RFC 3164 datagram per
// line, over UDP or a unix datagram socket, never waiting for the server.
//
// It owns the wire format (the "<PRI>Mmm dd hh:mm:ss HOSTNAME TAG: "
// header), the socket and the spacing of reports about failed sends. The
// configuration layer parses the syslog:server=... target; errlog and
// accesslog put their lines behind the header.
package syslog
