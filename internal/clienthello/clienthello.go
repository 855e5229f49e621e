// Package clienthello reads what a TLS ClientHello says about where a
// connection wants to go (the server name, the ALPN protocols, the
// protocol version) without consuming it, as nginx's
// ngx_stream_ssl_preread_module does, so that the bytes can be passed on
// untouched (TLS passthrough).
//
// The parser follows ngx_stream_ssl_preread_parse_record step by step,
// including its quirks, so that strait routes every ClientHello, well
// formed or not, the way nginx does:
//
//   - records: a handshake may span several TLS records (each must be
//     complete before it is read); a record that is not a handshake, or
//     not SSL 3.x, ends the parse as "not TLS";
//   - an SSLv2-framed ClientHello yields only its version;
//   - only the first server_name and ALPN extensions count; a
//     supported_versions extension means TLSv1.3 whatever it lists;
//   - the length checks are nginx's: a field longer than what is left of
//     the message, an SNI name that is not a host name, an empty ALPN
//     protocol: "not TLS".
//
// It allocates nothing but the results and never reads past the buffer,
// whatever the bytes; FuzzParse checks that.
package clienthello

// Status is the outcome of Parse.
type Status uint8

const (
	// NeedMore: the buffer ends inside the ClientHello; call Parse
	// again with more bytes.
	NeedMore Status = iota
	// Done: the ClientHello was read (Info is valid).
	Done
	// NotTLS: the bytes are not a ClientHello nginx can read; its
	// variables are then "not found" and no server is chosen by name.
	NotTLS
)

// Info is what a ClientHello said.
type Info struct {
	// ServerName is the first host_name of the server_name extension,
	// as the client sent it (not lower-cased); "" without one.
	ServerName string
	// ALPN is the protocols of the first ALPN extension joined by ",",
	// as nginx's $ssl_preread_alpn_protocols shows them.
	ALPN string
	// Version is the client_version of the hello, or 0x0304 when it
	// carries a supported_versions extension; for an SSLv2-framed hello
	// the version of its header.
	Version uint16
}

// Protocol names Version as nginx's $ssl_preread_protocol does
// (SSL_get_version's names); "" for a version it does not name.
func (i Info) Protocol() string {
	switch i.Version {
	case 0x0002:
		return "SSLv2"
	case 0x0300:
		return "SSLv3"
	case 0x0301:
		return "TLSv1"
	case 0x0302:
		return "TLSv1.1"
	case 0x0303:
		return "TLSv1.2"
	case 0x0304:
		return "TLSv1.3"
	}
	return ""
}

// recordHeader is the size of a TLS record header.
const recordHeader = 5

// Parse reads the ClientHello at the start of buf, the client's bytes so
// far. It is stateless: call it again with the whole (longer) buffer when
// it returns NeedMore. Parsing restarts from the first byte each time,
// which costs little for a buffer bounded by preread_buffer_size and
// keeps no state that a junk prefix could corrupt.
func Parse(buf []byte) (Info, Status) {
	var hs []byte // handshake bytes of the complete records so far
	p := buf
	for len(p) >= recordHeader {
		if p[0]&0x80 != 0 && p[2] == 1 && (p[3] == 0 || p[3] == 3) {
			// An SSLv2-framed ClientHello (old clients): nginx takes
			// its version and reads nothing else.
			return Info{Version: uint16(p[3])<<8 | uint16(p[4])}, Done
		}
		if p[0] != 0x16 || p[1] != 3 {
			return Info{}, NotTLS // not a handshake, or not SSL 3.x / TLS
		}
		n := int(p[3])<<8 | int(p[4])
		if len(p) < recordHeader+n {
			break // nginx reads a record only once it is whole
		}
		hs = append(hs, p[recordHeader:recordHeader+n]...)
		p = p[recordHeader+n:]
		info, st := parseHandshake(hs)
		if st != NeedMore {
			return info, st
		}
	}
	return Info{}, NeedMore
}
