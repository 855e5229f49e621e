package ngxconf

import (
	"fmt"
	"strings"
	"testing"
)

// tokens renders every token of src as kind:value@line:col, one per
// line, or the error.
func tokens(src string) string {
	lx := newLexer("t.conf", []byte(src))
	var out []string
	for i := 0; i < 1000; i++ {
		t, err := lx.next()
		if err != nil {
			return strings.Join(append(out, "error: "+err.Error()), "\n")
		}
		var s string
		switch t.kind {
		case tokWord:
			q := ""
			if t.quoted {
				q = "q"
			}
			s = fmt.Sprintf("word%s:%q", q, t.value)
		case tokSemicolon:
			s = ";"
		case tokOpen:
			s = "{"
		case tokClose:
			s = "}"
		case tokEOF:
			return strings.Join(append(out, fmt.Sprintf("EOF@%d:%d", t.pos.Line, t.pos.Col)), "\n")
		}
		out = append(out, fmt.Sprintf("%s@%d:%d", s, t.pos.Line, t.pos.Col))
	}
	return "too many tokens"
}

func TestLexer(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"words", "a bc;", `word:"a"@1:1
word:"bc"@1:3
;@1:5
EOF@1:6`},
		{"block", "s{x;}", `word:"s"@1:1
{@1:2
word:"x"@1:3
;@1:4
}@1:5
EOF@1:6`},
		{"double quotes and escapes", `"a \"b\" \\ \t\r\n \x"`, `wordq:"a \"b\" \\ \t\r\n \\x"@1:1
EOF@1:23`},
		{"single quotes", `'it''s' "a'b"`, `error: unexpected "'" in t.conf:1`},
		{"single quote escape", `'it\'s' "a'b"`, `wordq:"it's"@1:1
wordq:"a'b"@1:9
EOF@1:14`},
		{"newline inside quotes", "\"a\nb\" c", `wordq:"a\nb"@1:1
word:"c"@2:4
EOF@2:5`},
		{"variables stay whole", "${a}b $c{ ${d}}", `word:"${a}b"@1:1
word:"$c"@1:7
{@1:9
word:"${d}}"@1:11
EOF@1:16`},
		{"escaped dollar opens a block", `a\${`, `word:"a\\$"@1:1
{@1:4
EOF@1:5`},
		{"closing brace inside a word", "a}b;", `word:"a}b"@1:1
;@1:4
EOF@1:5`},
		{"comments", "# c1\na #c2 ; x\nb#c;", `word:"a"@2:1
word:"b#c"@3:1
;@3:4
EOF@3:5`},
		{"escaped semicolon", `a\;b;`, `word:"a\\;b"@1:1
;@1:5
EOF@1:6`},
		{"quote then brace", `"a"{ "b";`, `wordq:"a"@1:1
{@1:4
wordq:"b"@1:6
;@1:9
EOF@1:10`},
		{"quote then paren", `"a")`, `wordq:"a"@1:1
word:")"@1:4
EOF@1:5`},
		{"text after quote", `"a"b`, `error: unexpected "b" in t.conf:1`},
		{"unterminated quote", "x \"abc\n", `word:"x"@1:1
error: unexpected end of file, expecting ";" or "}" in t.conf:2`},
		{"crlf", "a\r\nb;", `word:"a"@1:1
word:"b"@2:1
;@2:2
EOF@2:3`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := tokens(c.src); got != c.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, c.want)
			}
		})
	}
}
