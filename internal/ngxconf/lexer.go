package ngxconf

import "fmt"

// tokenKind says what a token is.
type tokenKind int

const (
	tokWord tokenKind = iota
	tokSemicolon
	tokOpen
	tokClose
	tokEOF
)

type token struct {
	kind   tokenKind
	value  string
	quoted bool
	pos    Pos
}

// lexer splits nginx configuration text into tokens the way nginx's
// ngx_conf_read_token does: words, quoted strings, `;`, `{`, `}`, with `#`
// comments and `${var}` kept inside words.
type lexer struct {
	src  []byte
	file string
	off  int
	line int
	col  int
}

func newLexer(file string, src []byte) *lexer {
	return &lexer{src: src, file: file, line: 1, col: 1}
}

func (l *lexer) pos() Pos { return Pos{File: l.file, Line: l.line, Col: l.col} }

func (l *lexer) advance() byte {
	c := l.src[l.off]
	l.off++
	if c == '\n' {
		l.line++
		l.col = 1
	} else {
		l.col++
	}
	return c
}

func (l *lexer) errorf(p Pos, format string, a ...any) error {
	return &Error{Pos: p, Msg: fmt.Sprintf(format, a...)}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// next returns the next token.
func (l *lexer) next() (token, error) {
	for l.off < len(l.src) {
		c := l.src[l.off]
		if isSpace(c) {
			l.advance()
			continue
		}
		if c == '#' {
			for l.off < len(l.src) && l.src[l.off] != '\n' {
				l.advance()
			}
			continue
		}
		break
	}
	p := l.pos()
	if l.off >= len(l.src) {
		return token{kind: tokEOF, pos: p}, nil
	}
	switch c := l.src[l.off]; c {
	case ';':
		l.advance()
		return token{kind: tokSemicolon, pos: p}, nil
	case '{':
		l.advance()
		return token{kind: tokOpen, pos: p}, nil
	case '}':
		l.advance()
		return token{kind: tokClose, pos: p}, nil
	case '"', '\'':
		return l.quoted(p, c)
	}
	return l.word(p)
}

// quoted reads a single- or double-quoted string. nginx resolves \", \',
// \\, \t, \r and \n; any other backslash pair is kept as written.
func (l *lexer) quoted(p Pos, q byte) (token, error) {
	l.advance()
	var buf []byte
	for {
		if l.off >= len(l.src) {
			// nginx reports an unterminated quote like any other
			// statement cut short by the end of the file.
			return token{}, l.errorf(l.pos(), `unexpected end of file, expecting ";" or "}"`)
		}
		c := l.advance()
		if c == q {
			break
		}
		if c == '\\' && l.off < len(l.src) {
			buf = appendEscape(buf, l.advance())
			continue
		}
		buf = append(buf, c)
	}
	// nginx requires a separator after a closing quote.
	if l.off < len(l.src) {
		if c := l.src[l.off]; !isSpace(c) && c != ';' && c != '{' && c != ')' {
			return token{}, l.errorf(l.pos(), "unexpected %q", string(c))
		}
	}
	return token{kind: tokWord, value: string(buf), quoted: true, pos: p}, nil
}

func appendEscape(buf []byte, c byte) []byte {
	switch c {
	case '"', '\'', '\\':
		return append(buf, c)
	case 't':
		return append(buf, '\t')
	case 'r':
		return append(buf, '\r')
	case 'n':
		return append(buf, '\n')
	}
	return append(buf, '\\', c)
}

// word reads an unquoted word. As in nginx, `}` does not end a word (so
// `${var}` stays whole), `{` right after `$` does not open a block, and a
// backslash escapes the next byte.
func (l *lexer) word(p Pos) (token, error) {
	var buf []byte
	variable := false // the previous byte was an unescaped '$'
	for l.off < len(l.src) {
		c := l.src[l.off]
		if isSpace(c) || c == ';' || (c == '{' && !variable) {
			break
		}
		l.advance()
		variable = c == '$'
		if c == '\\' && l.off < len(l.src) {
			buf = appendEscape(buf, l.advance())
			continue
		}
		buf = append(buf, c)
	}
	return token{kind: tokWord, value: string(buf), pos: p}, nil
}
