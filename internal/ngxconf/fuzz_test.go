package ngxconf

import (
	"errors"
	"io/fs"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse checks that no input makes the parser panic, that errors
// carry a position, and that a parsed tree printed back with every token
// quoted parses to the same tree.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"",
		"a;",
		"stream { server { listen 1; proxy_pass 127.0.0.1:2; } }",
		`log_format x '$a "b"' "c\"d" ${e}f;`,
		"# comment\n a \\; b\\{ c;",
		"include *.conf; include x;",
		"a \"unterminated",
		"}",
		"a { b { c { ; } } }",
		"map $a $b { ~^x 1; default 2; }",
		"a\r\n\tb 'x\\'y' \"\\\\\";",
		"$a{ ${b} }",
	} {
		f.Add(seed)
	}
	dir := f.TempDir()
	noFiles := func(string) ([]byte, error) { return nil, fs.ErrNotExist }
	f.Fuzz(func(t *testing.T, src string) {
		opts := Options{Dir: dir, ReadFile: noFiles}
		res, err := ParseString("fuzz", src, opts)
		if err != nil {
			var perr *Error
			if !errors.As(err, &perr) || perr.Pos.Line < 1 || perr.Pos.Col < 1 {
				t.Fatalf("error without a position: %#v", err)
			}
			return
		}
		again, err := ParseString("fuzz", render(res.Directives), opts)
		if err != nil {
			t.Fatalf("printed tree does not parse: %v\n%s", err, render(res.Directives))
		}
		if !reflect.DeepEqual(shape(res.Directives), shape(again.Directives)) {
			t.Fatalf("round trip changed the tree:\n%v\n%v", shape(res.Directives), shape(again.Directives))
		}
	})
}

// render prints directives with every name and argument double-quoted,
// escaping only backslashes and quotes, which the lexer turns back into
// the same values.
func render(ds []*Directive) string {
	var b strings.Builder
	q := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	for _, d := range ds {
		b.WriteString(`"` + q.Replace(d.Name) + `"`)
		for _, a := range d.Args {
			b.WriteString(` "` + q.Replace(a.Value) + `"`)
		}
		if d.HasBlock {
			b.WriteString(" {\n" + render(d.Block) + "}\n")
		} else {
			b.WriteString(";\n")
		}
	}
	return b.String()
}

// shape is a directive tree without positions or quoting.
func shape(ds []*Directive) []any {
	var out []any
	for _, d := range ds {
		out = append(out, d.Name, d.Values(), d.HasBlock, shape(d.Block))
	}
	return out
}
