package vars

import (
	"errors"
	"fmt"
)

// Expr is a compiled value expression: nginx's complex value. It is
// immutable and safe for concurrent use.
type Expr struct {
	text  string
	parts []part
}

// part is one piece of an expression: literal text, a variable, or a
// regex capture $1..$9.
type part struct {
	text    string
	v       *Variable
	capture int // 1..9 for $1..$9; 0 otherwise
}

var errInvalidName = errors.New("invalid variable name")

// compile parses text as ngx_stream_script_compile does: "$" followed by
// 1-9 is a capture, "${name}" or "$name" a variable whose name is
// [A-Za-z0-9_]+, and anything else literal text.
func compile(lookup func(string) (*Variable, error), text string) (*Expr, error) {
	e := &Expr{text: text}
	for i := 0; i < len(text); {
		if text[i] != '$' {
			j := i
			for j < len(text) && text[j] != '$' {
				j++
			}
			e.parts = append(e.parts, part{text: text[i:j]})
			i = j
			continue
		}
		i++
		if i == len(text) {
			return nil, errInvalidName
		}
		if c := text[i]; c >= '1' && c <= '9' {
			e.parts = append(e.parts, part{capture: int(c - '0')})
			i++
			continue
		}
		bracket := text[i] == '{'
		if bracket {
			i++
			if i == len(text) {
				return nil, errInvalidName
			}
		}
		start := i
		for i < len(text) && isNameByte(text[i]) {
			i++
		}
		name := text[start:i]
		if bracket {
			if i == len(text) || text[i] != '}' {
				return nil, fmt.Errorf("the closing bracket in %q variable is missing", name)
			}
			i++
		}
		if name == "" {
			return nil, errInvalidName
		}
		v, err := lookup(name)
		if err != nil {
			return nil, err
		}
		e.parts = append(e.parts, part{v: v})
	}
	return e, nil
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// String returns the expression's source text.
func (e *Expr) String() string { return e.text }

// Static reports the expression's value when it has no variables and no
// captures, so callers can skip evaluation.
func (e *Expr) Static() (string, bool) {
	switch len(e.parts) {
	case 0:
		return "", true
	case 1:
		if p := e.parts[0]; p.v == nil && p.capture == 0 {
			return p.text, true
		}
	}
	return "", false
}

// Append appends the expression's value for s to dst. Variables that are
// not found contribute nothing, as in nginx.
func (e *Expr) Append(dst []byte, s *Session) []byte {
	for i := range e.parts {
		p := &e.parts[i]
		switch {
		case p.v != nil:
			dst, _ = p.v.Append(dst, s)
		case p.capture > 0:
			dst = append(dst, s.cache.capture(p.capture)...)
		default:
			dst = append(dst, p.text...)
		}
	}
	return dst
}

// Value returns the expression's value for s as a string. It allocates;
// use Append on hot paths.
func (e *Expr) Value(s *Session) string {
	if v, ok := e.Static(); ok {
		return v
	}
	var buf [128]byte
	return string(e.Append(buf[:0], s))
}
