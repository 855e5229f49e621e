package vars

// realIPVariables are ngx_stream_realip_module's: the address and port
// the connection came from, before the realip phase replaced the client
// address with the PROXY header's (the same as $remote_addr and
// $remote_port when it did not).
func realIPVariables() []Definition {
	return []Definition{
		{Name: "realip_remote_addr", Get: func(dst []byte, s *Session) ([]byte, bool) {
			if s.RealIPRemoteAddr != nil {
				return appendHost(dst, s.RealIPRemoteAddr), true
			}
			return appendHost(dst, s.RemoteAddr), true
		}, Doc: "client address before realip replaced it"},
		{Name: "realip_remote_port", Get: func(dst []byte, s *Session) ([]byte, bool) {
			if s.RealIPRemoteAddr != nil {
				return appendPort(dst, s.RealIPRemoteAddr), true
			}
			return appendPort(dst, s.RemoteAddr), true
		}, Doc: "client port before realip replaced it"},
	}
}
