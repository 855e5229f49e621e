package vars

import "strconv"

// upstreamVariables are ngx_stream_upstream_module's variables, all
// NoCache in nginx because they change as the session tries peers, plus
// strait's $upstream_ssl_* (nginx has none in stream).
func upstreamVariables() []Definition {
	list := func(name, doc string, entry func(dst []byte, a Attempt) []byte) Definition {
		return Definition{Name: name, Flags: NoCache, Doc: doc, Get: func(dst []byte, s *Session) ([]byte, bool) {
			return appendUpstreamList(dst, s, entry)
		}}
	}
	ssl := func(name, doc string, get func(dst []byte, t *UpstreamSSL) []byte) Definition {
		return Definition{Name: name, Flags: NoCache, Doc: doc, Get: func(dst []byte, s *Session) ([]byte, bool) {
			if !s.SSL.Used {
				return dst, false
			}
			return get(dst, &s.SSL), true
		}}
	}
	return []Definition{
		list("upstream_addr", "address of each upstream tried, \"ip:port\" or \"unix:path\"", func(dst []byte, a Attempt) []byte {
			if a.Addr == "" {
				return append(dst, '-')
			}
			return append(dst, a.Addr...)
		}),
		list("upstream_bytes_sent", "bytes sent to each upstream tried", func(dst []byte, a Attempt) []byte {
			return strconv.AppendInt(dst, a.BytesSent, 10)
		}),
		list("upstream_bytes_received", "bytes received from each upstream tried", func(dst []byte, a Attempt) []byte {
			return strconv.AppendInt(dst, a.BytesReceived, 10)
		}),
		list("upstream_connect_time", "time to connect to each upstream, TLS handshake included; \"-\" when it failed", func(dst []byte, a Attempt) []byte {
			if !a.Connected {
				return append(dst, '-')
			}
			return appendSeconds(dst, a.ConnectTime)
		}),
		list("upstream_first_byte_time", "time to the first byte from each upstream", func(dst []byte, a Attempt) []byte {
			if !a.GotFirstByte {
				return append(dst, '-')
			}
			return appendSeconds(dst, a.FirstByteTime)
		}),
		list("upstream_session_time", "session duration with each upstream", func(dst []byte, a Attempt) []byte {
			return appendSeconds(dst, a.SessionTime)
		}),
		ssl("upstream_ssl_protocol", "TLS protocol to the upstream (strait)", func(dst []byte, t *UpstreamSSL) []byte {
			return append(dst, t.Protocol...)
		}),
		ssl("upstream_ssl_cipher", "TLS cipher to the upstream, OpenSSL name (strait)", func(dst []byte, t *UpstreamSSL) []byte {
			return append(dst, t.Cipher...)
		}),
		ssl("upstream_ssl_session_reused", "\"r\" when the upstream TLS session was resumed, else \".\" (strait)", func(dst []byte, t *UpstreamSSL) []byte {
			if t.Reused {
				return append(dst, 'r')
			}
			return append(dst, '.')
		}),
		ssl("upstream_ssl_verify", "\"OK\" or why the upstream certificate failed verification (strait)", func(dst []byte, t *UpstreamSSL) []byte {
			return append(dst, t.Verify...)
		}),
		ssl("upstream_ssl_server_name", "name sent as SNI and verified (strait)", func(dst []byte, t *UpstreamSSL) []byte {
			return append(dst, t.ServerName...)
		}),
	}
}

// appendUpstreamList writes one entry per attempt joined by ", ", plus the
// trailing group-name entry when the last pick found no live upstreams;
// with neither the variable is not found, as nginx's is without
// upstream_states.
func appendUpstreamList(dst []byte, s *Session, entry func([]byte, Attempt) []byte) ([]byte, bool) {
	if len(s.Attempts) == 0 && s.UpstreamGroup == "" {
		return dst, false
	}
	for i := range s.Attempts {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = entry(dst, s.Attempts[i])
	}
	if s.UpstreamGroup != "" {
		if len(s.Attempts) > 0 {
			dst = append(dst, ", "...)
		}
		dst = entry(dst, Attempt{Addr: s.UpstreamGroup})
	}
	return dst, true
}
