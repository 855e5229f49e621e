package vars

import (
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/straitproxy/strait/internal/ngxaddr"
)

// Options are what the built-in variables need from outside a session.
type Options struct {
	// Now is the clock for $msec, $time_local, $time_iso8601 and
	// $session_time while a session runs; once Session.End is set they
	// use it. time.Now when nil.
	Now func() time.Time
	// Version is $nginx_version: strait's version.
	Version string
}

const (
	timeLocalLayout   = "02/Jan/2006:15:04:05 -0700"
	timeISO8601Layout = "2006-01-02T15:04:05-07:00" // nginx writes +00:00, never Z
)

// coreVariables are ngx_stream_core_module's variables
// (ngx_stream_variables.c), with nginx's flags and formats.
func coreVariables(opts Options) []Definition {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	// at is the time a clock variable shows: the end of the session
	// once it has ended (the access log), else the clock.
	at := func(s *Session) time.Time {
		if !s.End.IsZero() {
			return s.End
		}
		return now()
	}
	version := opts.Version
	return []Definition{
		{Name: "binary_remote_addr", Get: binaryRemoteAddr,
			Doc: "client address in binary form: 4 bytes for IPv4, 16 for IPv6"},
		{Name: "remote_addr", Get: func(dst []byte, s *Session) ([]byte, bool) { return appendHost(dst, s.RemoteAddr), true },
			Doc: "client address"},
		{Name: "remote_port", Get: func(dst []byte, s *Session) ([]byte, bool) { return appendPort(dst, s.RemoteAddr), true },
			Doc: "client port"},
		{Name: "server_addr", Get: func(dst []byte, s *Session) ([]byte, bool) { return appendHost(dst, s.ServerAddr), true },
			Doc: "address of the server that accepted the connection"},
		{Name: "server_port", Get: func(dst []byte, s *Session) ([]byte, bool) { return appendPort(dst, s.ServerAddr), true },
			Doc: "port of the server that accepted the connection"},
		{Name: "bytes_sent", Get: func(dst []byte, s *Session) ([]byte, bool) { return strconv.AppendInt(dst, s.BytesSent, 10), true },
			Doc: "bytes sent to the client"},
		{Name: "bytes_received", Get: func(dst []byte, s *Session) ([]byte, bool) { return strconv.AppendInt(dst, s.BytesReceived, 10), true },
			Doc: "bytes received from the client"},
		{Name: "session_time", Flags: NoCache, Get: func(dst []byte, s *Session) ([]byte, bool) {
			return appendSeconds(dst, at(s).Sub(s.Start)), true
		}, Doc: "session duration in seconds with millisecond resolution"},
		{Name: "status", Flags: NoCache, Get: func(dst []byte, s *Session) ([]byte, bool) { return appendStatus(dst, s.Status), true },
			Doc: "session status: 200, 400, 403, 500, 502, 503 (000 while the session runs)"},
		{Name: "connection", Get: func(dst []byte, s *Session) ([]byte, bool) { return strconv.AppendUint(dst, s.Connection, 10), true },
			Doc: "connection serial number"},
		{Name: "nginx_version", Get: func(dst []byte, s *Session) ([]byte, bool) { return append(dst, version...), true },
			Doc: "strait's version"},
		{Name: "server_name", Get: func(dst []byte, s *Session) ([]byte, bool) { return append(dst, s.ServerName...), true },
			Doc: "first server_name of the server block serving the session"},
		{Name: "hostname", Get: func(dst []byte, s *Session) ([]byte, bool) { return append(dst, s.Hostname...), true },
			Doc: "host name"},
		{Name: "pid", Get: func(dst []byte, s *Session) ([]byte, bool) { return strconv.AppendInt(dst, int64(s.PID), 10), true },
			Doc: "process ID"},
		{Name: "msec", Flags: NoCache, Get: func(dst []byte, s *Session) ([]byte, bool) {
			return appendMillis(dst, at(s).UnixMilli()), true
		}, Doc: "current time in seconds with millisecond resolution"},
		{Name: "time_iso8601", Flags: NoCache, Get: func(dst []byte, s *Session) ([]byte, bool) {
			return at(s).AppendFormat(dst, timeISO8601Layout), true
		}, Doc: "local time in ISO 8601 format"},
		{Name: "time_local", Flags: NoCache, Get: func(dst []byte, s *Session) ([]byte, bool) {
			return at(s).AppendFormat(dst, timeLocalLayout), true
		}, Doc: "local time in the Common Log Format"},
		{Name: "protocol", Get: func(dst []byte, s *Session) ([]byte, bool) { return append(dst, s.Protocol...), true },
			Doc: "protocol used to communicate with the client: TCP or UDP"},
		{Name: "proxy_protocol_addr", Get: func(dst []byte, s *Session) ([]byte, bool) {
			return appendSet(dst, s.ProxyProtocolAddr)
		}, Doc: "client address from the PROXY protocol header"},
		{Name: "proxy_protocol_port", Get: func(dst []byte, s *Session) ([]byte, bool) {
			return appendSet(dst, s.ProxyProtocolPort)
		}, Doc: "client port from the PROXY protocol header"},
		{Name: "proxy_protocol_server_addr", Get: func(dst []byte, s *Session) ([]byte, bool) {
			return appendSet(dst, s.ProxyProtocolServerAddr)
		}, Doc: "server address from the PROXY protocol header"},
		{Name: "proxy_protocol_server_port", Get: func(dst []byte, s *Session) ([]byte, bool) {
			return appendSet(dst, s.ProxyProtocolServerPort)
		}, Doc: "server port from the PROXY protocol header"},
	}
}

// appendSet appends v, which is not found when empty: nginx reports the
// PROXY protocol variables as not found when no header was read.
func appendSet(dst []byte, v string) ([]byte, bool) {
	if v == "" {
		return dst, false
	}
	return append(dst, v...), true
}

// binaryRemoteAddr follows ngx_stream_variable_binary_remote_addr: the
// raw address bytes. For a unix socket client nginx reads an IPv4 address
// out of the unix sockaddr; for an unnamed client socket those are four
// zero bytes, which is what strait returns for every unix client, so that
// limit_conn counts them under one key as nginx does.
func binaryRemoteAddr(dst []byte, s *Session) ([]byte, bool) {
	if t, ok := s.RemoteAddr.(*net.TCPAddr); ok && t != nil {
		if ip, ok := netip.AddrFromSlice(t.IP); ok {
			ip = ip.Unmap()
			if ip.Is4() {
				a := ip.As4()
				return append(dst, a[:]...), true
			}
			a := ip.As16()
			return append(dst, a[:]...), true
		}
	}
	return append(dst, 0, 0, 0, 0), true
}

// appendSeconds writes d as seconds with millisecond resolution ("1.042");
// negative durations clamp to zero as in nginx.
func appendSeconds(dst []byte, d time.Duration) []byte {
	return appendMillis(dst, max(d.Milliseconds(), 0))
}

func appendMillis(dst []byte, ms int64) []byte {
	dst = strconv.AppendInt(dst, ms/1000, 10)
	frac := ms % 1000
	return append(dst, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
}

// appendStatus is nginx's "%03ui".
func appendStatus(dst []byte, status int) []byte {
	if status >= 0 && status < 100 {
		dst = append(dst, '0')
		if status < 10 {
			dst = append(dst, '0')
		}
	}
	return strconv.AppendInt(dst, int64(status), 10)
}

// appendHost writes the address part: the IP for TCP, "unix:path" for unix
// sockets ("unix:" for an unnamed client socket, as nginx prints it).
func appendHost(dst []byte, a net.Addr) []byte {
	switch a := a.(type) {
	case nil:
		return dst
	case *net.TCPAddr:
		if a == nil {
			return dst
		}
		if ip, ok := netip.AddrFromSlice(a.IP); ok {
			// Unmapped: Go reports IPv4 clients of a dual-stack
			// socket as IPv4-mapped. nginx's text for IPv6 differs
			// from Go's ("::1.2.3.4").
			return ngxaddr.AppendIP(dst, ip.Unmap())
		}
		return dst
	case *net.UnixAddr:
		if a == nil {
			return dst
		}
		dst = append(dst, "unix:"...)
		// Go reports an unnamed peer socket as "@".
		if a.Name != "@" {
			dst = append(dst, a.Name...)
		}
		return dst
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return append(dst, a.String()...)
	}
	return append(dst, host...)
}

// appendPort writes the port of a TCP address. A unix socket has none:
// nginx reports the variable as found and empty.
func appendPort(dst []byte, a net.Addr) []byte {
	switch a := a.(type) {
	case nil, *net.UnixAddr:
		return dst
	case *net.TCPAddr:
		if a == nil || a.Port <= 0 {
			return dst
		}
		return strconv.AppendInt(dst, int64(a.Port), 10)
	}
	_, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return dst
	}
	return append(dst, port...)
}
