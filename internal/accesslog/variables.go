package accesslog

import (
	"net"
	"net/netip"
	"strconv"
	"time"
)

// variable identifies a built-in variable.
type variable uint8

const (
	varRemoteAddr variable = iota + 1
	varRemotePort
	varServerAddr
	varServerPort
	varBytesSent
	varBytesReceived
	varSessionTime
	varStatus
	varConnection
	varMsec
	varTimeLocal
	varTimeISO8601
	varProtocol
	varHostname
	varPID
	varProxyProtocolAddr
	varProxyProtocolPort
	varUpstreamAddr
	varUpstreamBytesSent
	varUpstreamBytesReceived
	varUpstreamConnectTime
	varUpstreamFirstByteTime
	varUpstreamSessionTime
	varUpstreamSSLProtocol
	varUpstreamSSLCipher
	varUpstreamSSLSessionReused
	varUpstreamSSLVerify
	varUpstreamSSLServerName
)

// lookupBuiltin maps a lower-case variable name to its identifier.
func lookupBuiltin(name string) (variable, bool) {
	switch name {
	case "remote_addr":
		return varRemoteAddr, true
	case "remote_port":
		return varRemotePort, true
	case "server_addr":
		return varServerAddr, true
	case "server_port":
		return varServerPort, true
	case "bytes_sent":
		return varBytesSent, true
	case "bytes_received":
		return varBytesReceived, true
	case "session_time":
		return varSessionTime, true
	case "status":
		return varStatus, true
	case "connection":
		return varConnection, true
	case "msec":
		return varMsec, true
	case "time_local":
		return varTimeLocal, true
	case "time_iso8601":
		return varTimeISO8601, true
	case "protocol":
		return varProtocol, true
	case "hostname":
		return varHostname, true
	case "pid":
		return varPID, true
	case "proxy_protocol_addr":
		return varProxyProtocolAddr, true
	case "proxy_protocol_port":
		return varProxyProtocolPort, true
	case "upstream_addr":
		return varUpstreamAddr, true
	case "upstream_bytes_sent":
		return varUpstreamBytesSent, true
	case "upstream_bytes_received":
		return varUpstreamBytesReceived, true
	case "upstream_connect_time":
		return varUpstreamConnectTime, true
	case "upstream_first_byte_time":
		return varUpstreamFirstByteTime, true
	case "upstream_session_time":
		return varUpstreamSessionTime, true
	case "upstream_ssl_protocol":
		return varUpstreamSSLProtocol, true
	case "upstream_ssl_cipher":
		return varUpstreamSSLCipher, true
	case "upstream_ssl_session_reused":
		return varUpstreamSSLSessionReused, true
	case "upstream_ssl_verify":
		return varUpstreamSSLVerify, true
	case "upstream_ssl_server_name":
		return varUpstreamSSLServerName, true
	}
	return 0, false
}

const (
	timeLocalLayout   = "02/Jan/2006:15:04:05 -0700"
	timeISO8601Layout = "2006-01-02T15:04:05-07:00" // nginx writes +00:00, never Z
)

// appendBuiltin appends the raw (unescaped) value of v; nothing when the
// value is not set.
func appendBuiltin(dst []byte, v variable, s *Session) []byte {
	switch v {
	case varRemoteAddr:
		return appendHost(dst, s.RemoteAddr)
	case varRemotePort:
		return appendPort(dst, s.RemoteAddr)
	case varServerAddr:
		return appendHost(dst, s.ServerAddr)
	case varServerPort:
		return appendPort(dst, s.ServerAddr)
	case varBytesSent:
		return strconv.AppendInt(dst, s.BytesSent, 10)
	case varBytesReceived:
		return strconv.AppendInt(dst, s.BytesReceived, 10)
	case varSessionTime:
		return appendSeconds(dst, s.End.Sub(s.Start))
	case varStatus:
		return appendStatus(dst, s.Status)
	case varConnection:
		return strconv.AppendUint(dst, s.Connection, 10)
	case varMsec:
		return appendMsec(dst, s.End)
	case varTimeLocal:
		return s.End.AppendFormat(dst, timeLocalLayout)
	case varTimeISO8601:
		return s.End.AppendFormat(dst, timeISO8601Layout)
	case varProtocol:
		return append(dst, s.Protocol...)
	case varHostname:
		return append(dst, s.Hostname...)
	case varPID:
		return strconv.AppendInt(dst, int64(s.PID), 10)
	case varProxyProtocolAddr:
		return append(dst, s.ProxyProtocolAddr...)
	case varProxyProtocolPort:
		return append(dst, s.ProxyProtocolPort...)
	case varUpstreamAddr, varUpstreamBytesSent, varUpstreamBytesReceived,
		varUpstreamConnectTime, varUpstreamFirstByteTime, varUpstreamSessionTime:
		return appendUpstreamList(dst, v, s)
	}
	return appendUpstreamSSL(dst, v, &s.SSL)
}

func appendUpstreamSSL(dst []byte, v variable, ssl *UpstreamSSL) []byte {
	if !ssl.Used {
		return dst
	}
	switch v {
	case varUpstreamSSLProtocol:
		return append(dst, ssl.Protocol...)
	case varUpstreamSSLCipher:
		return append(dst, ssl.Cipher...)
	case varUpstreamSSLSessionReused:
		if ssl.Reused {
			return append(dst, 'r')
		}
		return append(dst, '.')
	case varUpstreamSSLVerify:
		return append(dst, ssl.Verify...)
	case varUpstreamSSLServerName:
		return append(dst, ssl.ServerName...)
	}
	return dst
}

// appendUpstreamList writes one entry per attempt joined by ", ", plus the
// trailing group-name entry when the last pick found no live upstreams.
func appendUpstreamList(dst []byte, v variable, s *Session) []byte {
	for i := range s.Attempts {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = appendAttempt(dst, v, &s.Attempts[i])
	}
	if s.UpstreamGroup != "" {
		if len(s.Attempts) > 0 {
			dst = append(dst, ", "...)
		}
		noLive := Attempt{Addr: s.UpstreamGroup}
		dst = appendAttempt(dst, v, &noLive)
	}
	return dst
}

func appendAttempt(dst []byte, v variable, a *Attempt) []byte {
	switch v {
	case varUpstreamAddr:
		if a.Addr == "" {
			return append(dst, '-')
		}
		return append(dst, a.Addr...)
	case varUpstreamBytesSent:
		return strconv.AppendInt(dst, a.BytesSent, 10)
	case varUpstreamBytesReceived:
		return strconv.AppendInt(dst, a.BytesReceived, 10)
	case varUpstreamConnectTime:
		if !a.Connected {
			return append(dst, '-')
		}
		return appendSeconds(dst, a.ConnectTime)
	case varUpstreamFirstByteTime:
		if !a.GotFirstByte {
			return append(dst, '-')
		}
		return appendSeconds(dst, a.FirstByteTime)
	}
	return appendSeconds(dst, a.SessionTime)
}

// appendSeconds writes d as seconds with millisecond resolution ("1.042");
// negative durations clamp to zero as in nginx.
func appendSeconds(dst []byte, d time.Duration) []byte {
	return appendMillis(dst, max(d.Milliseconds(), 0))
}

func appendMsec(dst []byte, t time.Time) []byte {
	return appendMillis(dst, t.UnixMilli())
}

func appendMillis(dst []byte, ms int64) []byte {
	dst = strconv.AppendInt(dst, ms/1000, 10)
	frac := ms % 1000
	return append(dst, '.', byte('0'+frac/100), byte('0'+frac/10%10), byte('0'+frac%10))
}

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
			return ip.Unmap().AppendTo(dst)
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

// appendPort writes the port of a TCP address; unix sockets have none.
func appendPort(dst []byte, a net.Addr) []byte {
	switch a := a.(type) {
	case nil, *net.UnixAddr:
		return dst
	case *net.TCPAddr:
		if a == nil {
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
