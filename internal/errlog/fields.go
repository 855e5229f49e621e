package errlog

import (
	"log/slog"
	"strconv"
	"time"
)

// The attribute keys that build nginx's fixed suffix.
const (
	KeyConn          = "conn"           // uint64 connection number, printed as "*N " before the message
	KeyAction        = "action"         // " while <action>"
	KeyClient        = "client"         // ", client: <client>"
	KeyUDPClient     = "udp_client"     // ", udp client: <client>", nginx's words for a UDP session
	KeyServer        = "server"         // ", server: <server>"
	KeyUpstream      = "upstream"       // `, upstream: "<upstream>"`
	KeyBytesClient   = "bytes_client"   // "R/S" -> ", bytes from/to client:R/S"
	KeyBytesUpstream = "bytes_upstream" // "R/S" -> ", bytes from/to upstream:R/S"
)

// fields is the well-known part of a line plus pre-rendered extra attributes.
type fields struct {
	conn    uint64
	hasConn bool

	action, client, server, upstream string
	udp                              bool // client came as udp_client
	bytesClient, bytesUpstream       string

	extra []byte // ", key: value" pairs from WithAttrs, in order
}

// add records a as well-known or appends it to the extra pairs.
func (f *fields) add(a slog.Attr, group string) {
	if !f.setKnown(a, group) {
		f.extra = appendExtra(f.extra, group, a)
	}
}

// setKnown stores a when it is a well-known attribute at the top level and
// reports whether it did. It must agree with isKnown.
func (f *fields) setKnown(a slog.Attr, group string) bool {
	if !isKnown(a, group) {
		return false
	}
	v := a.Value.Resolve()
	switch a.Key {
	case KeyConn:
		f.conn, f.hasConn = connNumber(v)
	case KeyAction:
		f.action = valueString(v)
	case KeyClient:
		f.client, f.udp = valueString(v), false
	case KeyUDPClient:
		f.client, f.udp = valueString(v), true
	case KeyServer:
		f.server = valueString(v)
	case KeyUpstream:
		f.upstream = valueString(v)
	case KeyBytesClient:
		f.bytesClient = valueString(v)
	case KeyBytesUpstream:
		f.bytesUpstream = valueString(v)
	}
	return true
}

// isKnown reports whether a feeds the fixed suffix. Inside a group nothing
// does, and a conn that is not a non-negative integer is an ordinary pair.
func isKnown(a slog.Attr, group string) bool {
	if group != "" {
		return false
	}
	switch a.Key {
	case KeyAction, KeyClient, KeyUDPClient, KeyServer, KeyUpstream, KeyBytesClient, KeyBytesUpstream:
		return true
	case KeyConn:
		_, ok := connNumber(a.Value.Resolve())
		return ok
	}
	return false
}

func connNumber(v slog.Value) (uint64, bool) {
	switch v.Kind() {
	case slog.KindUint64:
		return v.Uint64(), true
	case slog.KindInt64:
		if n := v.Int64(); n >= 0 {
			return uint64(n), true
		}
	}
	return 0, false
}

// appendSuffix writes the nginx context in nginx's order.
func (f *fields) appendSuffix(b []byte) []byte {
	if f.action != "" {
		b = append(b, " while "...)
		b = appendEscaped(b, f.action)
	}
	if f.udp {
		b = appendPair(b, ", udp client: ", f.client)
	} else {
		b = appendPair(b, ", client: ", f.client)
	}
	b = appendPair(b, ", server: ", f.server)
	if f.upstream != "" {
		b = append(b, `, upstream: "`...)
		b = appendEscaped(b, f.upstream)
		b = append(b, '"')
	}
	b = appendPair(b, ", bytes from/to client:", f.bytesClient)
	b = appendPair(b, ", bytes from/to upstream:", f.bytesUpstream)
	return append(b, f.extra...)
}

func appendPair(b []byte, label, value string) []byte {
	if value == "" {
		return b
	}
	b = append(b, label...)
	return appendEscaped(b, value)
}

// appendExtra writes a as ", key: value", flattening groups into dotted keys.
func appendExtra(b []byte, group string, a slog.Attr) []byte {
	if a.Equal(slog.Attr{}) {
		return b // slog: an attribute with empty key and value is ignored
	}
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		attrs := v.Group()
		if len(attrs) == 0 {
			return b
		}
		prefix := group
		if a.Key != "" {
			prefix += a.Key + "."
		}
		for _, ga := range attrs {
			b = appendExtra(b, prefix, ga)
		}
		return b
	}
	b = append(b, ", "...)
	b = appendEscaped(b, group)
	b = appendEscaped(b, a.Key)
	b = append(b, ": "...)
	return appendValue(b, v)
}

func appendValue(b []byte, v slog.Value) []byte {
	switch v.Kind() {
	case slog.KindInt64:
		return strconv.AppendInt(b, v.Int64(), 10)
	case slog.KindUint64:
		return strconv.AppendUint(b, v.Uint64(), 10)
	case slog.KindBool:
		return strconv.AppendBool(b, v.Bool())
	case slog.KindFloat64:
		return strconv.AppendFloat(b, v.Float64(), 'g', -1, 64)
	case slog.KindTime:
		return v.Time().AppendFormat(b, time.RFC3339)
	}
	return appendEscaped(b, valueString(v))
}

func valueString(v slog.Value) string {
	if v.Kind() == slog.KindString {
		return v.String()
	}
	if err, ok := v.Any().(error); ok {
		return err.Error()
	}
	return v.String()
}

// appendEscaped copies s, writing control bytes as \xHH so a value can never
// end the line early or forge another one.
func appendEscaped(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			b = append(b, '\\', 'x', hex[c>>4], hex[c&0xf])
			continue
		}
		b = append(b, c)
	}
	return b
}
