package accesslog

import (
	"fmt"
	"strings"

	"github.com/straitproxy/strait/internal/vars"
)

// escapeMode is the log_format escape= parameter.
type escapeMode uint8

const (
	escapeDefault escapeMode = iota // `"`, `\`, control and non-ASCII bytes as \xHH
	escapeJSON                      // JSON string escaping
	escapeNone                      // raw
)

// op is one precompiled operation: literal text, or a variable when v is
// set.
type op struct {
	v    *vars.Variable
	text string
}

// Format is a compiled log_format. It is immutable and safe for concurrent use.
type Format struct {
	ops    []op
	escape escapeMode
}

// Compile parses a log_format string against the variables of reg.
// escape is "default" (or ""), "json" or "none". Names match
// case-insensitively, as in nginx. Errors use nginx's wording and carry no
// position.
func Compile(reg *vars.Registry, format, escape string) (*Format, error) {
	mode, err := parseEscape(escape)
	if err != nil {
		return nil, err
	}
	ops, err := compileOps(reg, format)
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
// in braces. Unlike a value expression, "$1" names a variable "1".
func compileOps(reg *vars.Registry, s string) ([]op, error) {
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
		v, err := reg.Lookup(name)
		if err != nil {
			return nil, err
		}
		ops = append(ops, op{v: v})
	}
	return ops, nil
}

func appendLiteral(ops []op, text string) []op {
	if n := len(ops); n > 0 && ops[n-1].v == nil {
		ops[n-1].text += text
		return ops
	}
	return append(ops, op{text: text})
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// Append renders one log line for s, including the trailing newline, onto
// dst and returns the extended slice. It does not allocate when dst has room.
func (f *Format) Append(dst []byte, s *Session) []byte {
	return append(f.appendOps(dst, s), '\n')
}

// appendOps renders every operation. A variable that is not found logs as
// "-" with the default escaping and as nothing with json or none; a found
// empty value logs as nothing, as in ngx_stream_log_variable.
func (f *Format) appendOps(dst []byte, s *Session) []byte {
	for i := range f.ops {
		o := &f.ops[i]
		if o.v == nil {
			dst = append(dst, o.text...)
			continue
		}
		start := len(dst)
		var found bool
		dst, found = o.v.Append(dst, s)
		if !found {
			if f.escape == escapeDefault {
				dst = append(dst, '-')
			}
			continue
		}
		dst = escapeTail(dst, start, f.escape)
	}
	return dst
}
