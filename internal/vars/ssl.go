package vars

import (
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"math/big"
	"strconv"
	"time"
)

// sslVariables are ngx_stream_ssl_module's variables, read from the TLS
// session with the client (listen ... ssl); all are not found without
// one, and those whose value would be empty (no SNI, no ALPN, no client
// certificate) are not found either, as in nginx.
func sslVariables() []Definition {
	def := func(name, doc string, get func(dst []byte, t *ClientTLS) []byte) Definition {
		return Definition{Name: name, Flags: Changeable, Doc: doc, Get: func(dst []byte, s *Session) ([]byte, bool) {
			if s.ClientTLS == nil {
				return dst, false
			}
			out := get(dst, s.ClientTLS)
			return out, len(out) > len(dst)
		}}
	}
	cert := func(name, doc string, get func(dst []byte, c *x509.Certificate, now time.Time) []byte) Definition {
		return Definition{Name: name, Flags: Changeable, Doc: doc, Get: func(dst []byte, s *Session) ([]byte, bool) {
			if s.ClientTLS == nil || s.ClientTLS.Cert == nil {
				return dst, false
			}
			now := s.End
			if now.IsZero() {
				now = time.Now()
			}
			out := get(dst, s.ClientTLS.Cert, now)
			return out, len(out) > len(dst)
		}}
	}
	return []Definition{
		def("ssl_protocol", "TLS protocol with the client, \"TLSv1.3\"", func(dst []byte, t *ClientTLS) []byte { return append(dst, t.Protocol...) }),
		def("ssl_cipher", "cipher suite with the client, OpenSSL name", func(dst []byte, t *ClientTLS) []byte { return append(dst, t.Cipher...) }),
		def("ssl_ciphers", "cipher suites the client offered, \":\"-separated", func(dst []byte, t *ClientTLS) []byte {
			for i, id := range t.Ciphers {
				if i > 0 {
					dst = append(dst, ':')
				}
				dst = append(dst, t.Names.SuiteName(id)...)
			}
			return dst
		}),
		def("ssl_curve", "key exchange group with the client", func(dst []byte, t *ClientTLS) []byte { return append(dst, t.Curve...) }),
		def("ssl_curves", "groups the client offered, \":\"-separated", func(dst []byte, t *ClientTLS) []byte {
			for i, id := range t.Curves {
				if i > 0 {
					dst = append(dst, ':')
				}
				dst = append(dst, t.Names.GroupName(id)...)
			}
			return dst
		}),
		def("ssl_server_name", "server name the client sent (SNI)", func(dst []byte, t *ClientTLS) []byte { return append(dst, t.ServerName...) }),
		def("ssl_alpn_protocol", "ALPN protocol agreed with the client", func(dst []byte, t *ClientTLS) []byte { return append(dst, t.ALPN...) }),
		def("ssl_session_id", "TLS session identifier, hexadecimal", func(dst []byte, t *ClientTLS) []byte { return hex.AppendEncode(dst, t.SessionID) }),
		def("ssl_session_reused", "\"r\" when the session was resumed, else \".\"", func(dst []byte, t *ClientTLS) []byte {
			if t.Reused {
				return append(dst, 'r')
			}
			return append(dst, '.')
		}),
		def("ssl_client_verify", "\"SUCCESS\", \"FAILED:reason\" or \"NONE\"", func(dst []byte, t *ClientTLS) []byte { return append(dst, t.Verify...) }),
		cert("ssl_client_s_dn", "subject of the client certificate, RFC 2253", func(dst []byte, c *x509.Certificate, _ time.Time) []byte {
			return appendDN(dst, c.RawSubject)
		}),
		cert("ssl_client_i_dn", "issuer of the client certificate, RFC 2253", func(dst []byte, c *x509.Certificate, _ time.Time) []byte {
			return appendDN(dst, c.RawIssuer)
		}),
		cert("ssl_client_serial", "serial number of the client certificate, hexadecimal", func(dst []byte, c *x509.Certificate, _ time.Time) []byte {
			return appendSerial(dst, c.SerialNumber)
		}),
		cert("ssl_client_fingerprint", "SHA-1 fingerprint of the client certificate", func(dst []byte, c *x509.Certificate, _ time.Time) []byte {
			sum := sha1.Sum(c.Raw)
			return hex.AppendEncode(dst, sum[:])
		}),
		cert("ssl_client_v_start", "start of the client certificate's validity", func(dst []byte, c *x509.Certificate, _ time.Time) []byte {
			return appendASN1Time(dst, c.NotBefore)
		}),
		cert("ssl_client_v_end", "end of the client certificate's validity", func(dst []byte, c *x509.Certificate, _ time.Time) []byte {
			return appendASN1Time(dst, c.NotAfter)
		}),
		cert("ssl_client_v_remain", "days until the client certificate expires", func(dst []byte, c *x509.Certificate, now time.Time) []byte {
			left := c.NotAfter.Unix() - now.Unix()
			if left < 86400 {
				return append(dst, '0')
			}
			return strconv.AppendInt(dst, left/86400, 10)
		}),
		cert("ssl_client_raw_cert", "client certificate, PEM", func(dst []byte, c *x509.Certificate, _ time.Time) []byte {
			return append(dst, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
		}),
		cert("ssl_client_cert", "client certificate, PEM with every line but the first indented by a tab (deprecated)", func(dst []byte, c *x509.Certificate, _ time.Time) []byte {
			p := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
			p = p[:len(p)-1]
			for _, b := range p {
				dst = append(dst, b)
				if b == '\n' {
					dst = append(dst, '\t')
				}
			}
			return dst
		}),
		cert("ssl_client_escaped_cert", "client certificate, PEM, URL-encoded", func(dst []byte, c *x509.Certificate, _ time.Time) []byte {
			return appendURIComponent(dst, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
		}),
	}
}

// appendSerial writes a serial number as OpenSSL's i2a_ASN1_INTEGER
// does: upper-case hexadecimal, two digits per byte.
func appendSerial(dst []byte, n *big.Int) []byte {
	if n.Sign() < 0 {
		dst = append(dst, '-')
	}
	b := new(big.Int).Abs(n).Bytes()
	if len(b) == 0 {
		return append(dst, "00"...)
	}
	const digits = "0123456789ABCDEF"
	for _, x := range b {
		dst = append(dst, digits[x>>4], digits[x&15])
	}
	return dst
}

// appendASN1Time writes a time as ASN1_TIME_print does:
// "Jan  2 15:04:05 2006 GMT".
func appendASN1Time(dst []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(dst, "Jan _2 15:04:05 2006 GMT")
}

// appendURIComponent escapes like ngx_escape_uri with
// NGX_ESCAPE_URI_COMPONENT: everything but letters, digits and "-._~".
func appendURIComponent(dst, s []byte) []byte {
	const digits = "0123456789ABCDEF"
	for _, c := range s {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '.', c == '_', c == '~':
			dst = append(dst, c)
		default:
			dst = append(dst, '%', digits[c>>4], digits[c&15])
		}
	}
	return dst
}
