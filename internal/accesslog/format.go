package accesslog

import (
	"fmt"
	"strings"
)

// escapeMode is the log_format escape= parameter.
type escapeMode uint8

const (
	escapeDefault escapeMode = iota // `"`, `\`, control and non-ASCII bytes as \xHH
	escapeJSON                      // JSON string escaping
	escapeNone                      // raw
)

// opKind says what one precompiled operation emits.
type opKind uint8

const (
	opLiteral opKind = iota // fixed text
	opBuiltin               // a built-in variable
	opExtra                 // a caller-declared variable, read from Session.Vars
)

type op struct {
	kind opKind
	v    variable // for opBuiltin
	text string   // literal text, or the variable name for opExtra
}

// Format is a compiled log_format. It is immutable and safe for concurrent use.
type Format struct {
	ops    []op
	escape escapeMode
}

// Compile parses a log_format string. escape is "default" (or ""), "json" or
// "none". Variables that are not built in are accepted when extra reports
// them as declared (extra may be nil); their values come from Session.Vars
// under the name as written. Built-in names match case-insensitively, as in
// nginx. Errors use nginx's wording.
func Compile(format, escape string, extra func(name string) bool) (*Format, error) {
	mode, err := parseEscape(escape)
	if err != nil {
		return nil, err
	}
	ops, err := compileOps(format, extra)
	if err != nil {
		return nil, err
	}
	return &Format{ops: ops, escape: mode}, nil
}

func parseEscape(escape string) (escapeMode, error) {
	switch escape {
	case "", "default":
		return escapeDefault, nil
	case "json":
		return escapeJSON, nil
	case "none":
		return escapeNone, nil
	}
	return 0, fmt.Errorf("unknown log format escaping %q", escape)
}

// compileOps splits s into literal and variable operations, following
// ngx_stream_log_compile_format: a name is [A-Za-z0-9_]+, optionally wrapped
// in braces.
func compileOps(s string, extra func(name string) bool) ([]op, error) {
	var ops []op
	for i := 0; i < len(s); {
		if s[i] != '$' {
			j := strings.IndexByte(s[i:], '$')
			if j < 0 {
				j = len(s) - i
			}
			ops = appendLiteral(ops, s[i:i+j])
			i += j
			continue
		}
		start := i
		i++
		bracket := i < len(s) && s[i] == '{'
		if bracket {
			i++
		}
		nameStart := i
		for i < len(s) && isNameByte(s[i]) {
			i++
		}
		name := s[nameStart:i]
		if bracket {
			if i >= len(s) || s[i] != '}' {
				return nil, fmt.Errorf("the closing bracket in %q variable is missing", name)
			}
			i++
		}
		if name == "" {
			return nil, fmt.Errorf("invalid parameter %q", s[start:])
		}
		o, err := resolveVariable(name, extra)
		if err != nil {
			return nil, err
		}
		ops = append(ops, o)
	}
	return ops, nil
}

func appendLiteral(ops []op, text string) []op {
	if n := len(ops); n > 0 && ops[n-1].kind == opLiteral {
		ops[n-1].text += text
		return ops
	}
	return append(ops, op{kind: opLiteral, text: text})
}

func resolveVariable(name string, extra func(string) bool) (op, error) {
	if v, ok := lookupBuiltin(strings.ToLower(name)); ok {
		return op{kind: opBuiltin, v: v}, nil
	}
	if extra != nil && extra(name) {
		return op{kind: opExtra, text: name}, nil
	}
	return op{}, fmt.Errorf("unknown %q variable", name)
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// Append renders one log line for s, including the trailing newline, onto
// dst and returns the extended slice. It does not allocate when dst has room.
func (f *Format) Append(dst []byte, s *Session) []byte {
	return append(f.appendOps(dst, s), '\n')
}

// appendOps renders every operation. A built-in variable with an empty value
// and a name missing from Session.Vars are "not found": nginx logs them as
// "-" with the default escaping and as nothing with json or none. A name
// present in Vars with an empty value is found and logs as nothing, as an
// empty map value does in nginx.
func (f *Format) appendOps(dst []byte, s *Session) []byte {
	for i := range f.ops {
		o := &f.ops[i]
		start := len(dst)
		switch o.kind {
		case opLiteral:
			dst = append(dst, o.text...)
			continue
		case opBuiltin:
			dst = appendBuiltin(dst, o.v, s)
		case opExtra:
			v, ok := s.Vars[o.text]
			if ok && v == "" {
				continue
			}
			dst = append(dst, v...)
		}
		if len(dst) == start {
			if f.escape == escapeDefault {
				dst = append(dst, '-')
			}
			continue
		}
		dst = escapeTail(dst, start, f.escape)
	}
	return dst
}
