package vars

// Preread is what ssl_preread read from the client's ClientHello.
type Preread struct {
	ServerName string // the first SNI host name, as sent
	ALPN       string // ALPN protocols joined by ","
	Protocol   string // "TLSv1.3", "TLSv1.2", ...; "" for a version nginx does not name
}

// prereadVariables are ngx_stream_ssl_preread_module's variables. Like
// nginx's, they are not found until ssl_preread has read a ClientHello
// (or when the bytes were not one), and found, possibly empty, after.
func prereadVariables() []Definition {
	def := func(name, doc string, get func(p *Preread) string) Definition {
		return Definition{Name: name, Doc: doc, Get: func(dst []byte, s *Session) ([]byte, bool) {
			if s.Preread == nil {
				return dst, false
			}
			return append(dst, get(s.Preread)...), true
		}}
	}
	return []Definition{
		def("ssl_preread_server_name", "server name (SNI) of the ClientHello, read by ssl_preread", func(p *Preread) string { return p.ServerName }),
		def("ssl_preread_alpn_protocols", "ALPN protocols of the ClientHello, \",\"-separated", func(p *Preread) string { return p.ALPN }),
		def("ssl_preread_protocol", "highest protocol the client offers: \"TLSv1.3\", \"TLSv1.2\", ...", func(p *Preread) string { return p.Protocol }),
	}
}
