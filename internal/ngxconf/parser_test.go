package ngxconf

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tree renders directives as `name arg "quoted"@file:line { ... }`, one
// per line, indented by depth, with the block's end line after "}".
func tree(ds []*Directive, depth int) string {
	var b strings.Builder
	for _, d := range ds {
		b.WriteString(strings.Repeat("  ", depth) + d.Name)
		for _, a := range d.Args {
			if a.Quoted {
				fmt.Fprintf(&b, " %q", a.Value)
			} else {
				b.WriteString(" " + a.Value)
			}
		}
		fmt.Fprintf(&b, "@%s:%d", filepath.Base(d.Pos.File), d.Pos.Line)
		if d.HasBlock {
			fmt.Fprintf(&b, " {\n%s%s}@%d\n", tree(d.Block, depth+1), strings.Repeat("  ", depth), d.EndPos.Line)
		} else {
			fmt.Fprintf(&b, ";@%d\n", d.EndPos.Line)
		}
	}
	return b.String()
}

func TestParseTree(t *testing.T) {
	src := `worker_processes 2; # two
events { }
stream {
    log_format main '$remote_addr "$x"'
        "${a}b";
    server {
        listen 127.0.0.1:1
            backlog=5;
        "proxy_pass" backend;
    }
}
`
	want := `worker_processes 2@t.conf:1;@1
events@t.conf:2 {
}@2
stream@t.conf:3 {
  log_format main "$remote_addr \"$x\"" "${a}b"@t.conf:4;@5
  server@t.conf:6 {
    listen 127.0.0.1:1 backlog=5@t.conf:7;@8
    proxy_pass backend@t.conf:9;@9
  }@10
}@11
`
	res, err := ParseString("t.conf", src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := tree(res.Directives, 0); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if len(res.Sources) != 1 || string(res.Sources[0].Text) != src {
		t.Errorf("sources: %+v", res.Sources)
	}
}

func TestSyntaxErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{"a;\n}", `unexpected "}" in t.conf:2`},
		{"a {\n b;\n", `unexpected end of file, expecting "}" in t.conf:3`},
		{"a b", `unexpected end of file, expecting ";" or "}" in t.conf:1`},
		{"a \"b", `unexpected end of file, expecting ";" or "}" in t.conf:1`},
		{"a;;", `unexpected ";" in t.conf:1`},
		{"{", `unexpected "{" in t.conf:1`},
		{"a { b }", `unexpected "}" in t.conf:1`},
		{"a \"b\"c;", `unexpected "c" in t.conf:1`},
		{"include a b;", `invalid number of arguments in "include" directive in t.conf:1`},
		{strings.Repeat("a {", 101) + strings.Repeat("}", 101), `too deeply nested blocks in t.conf:1`},
	}
	for _, c := range cases {
		_, err := ParseString("t.conf", c.src, Options{})
		var perr *Error
		if !errors.As(err, &perr) || err.Error() != c.want {
			t.Errorf("%q: got %v, want %q", c.src, err, c.want)
		}
	}
	_, err := ParseString(CommandLine, "daemon off", Options{})
	if err == nil || err.Error() != `unexpected end of file, expecting ";" or "}" in command line` {
		t.Errorf("command line: %v", err)
	}
}

// writeFiles creates files under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, text := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestInclude(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"main.conf": "stream {\n  include conf.d/*.conf;\n  include conf.d/none-*.conf;\n  \"include\" extra.inc;\n}\n",
		// Relative includes in included files resolve against the main
		// file's directory, as in nginx.
		"conf.d/b.conf":       "b;\ninclude conf.d/nested/c.inc;\n",
		"conf.d/a.conf":       "a 1;\n",
		"conf.d/nested/c.inc": "c;\n",
		"extra.inc":           "server {\n include conf.d/nested/c.inc;\n}\n",
	})
	res, err := ParseFile(filepath.Join(dir, "main.conf"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := `stream@main.conf:1 {
  a 1@a.conf:1;@1
  b@b.conf:1;@1
  c@c.inc:1;@1
  server@extra.inc:1 {
    c@c.inc:1;@1
  }@3
}@5
`
	if got := tree(res.Directives, 0); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	var read []string
	for _, s := range res.Sources {
		read = append(read, strings.TrimPrefix(s.Path, dir+"/"))
	}
	wantRead := "main.conf conf.d/a.conf conf.d/b.conf conf.d/nested/c.inc extra.inc conf.d/nested/c.inc"
	if strings.Join(read, " ") != wantRead {
		t.Errorf("sources read: %v", read)
	}
}

func TestIncludeErrors(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"cycle.conf":   "x;\ninclude loop.inc;\n",
		"loop.inc":     "include cycle.conf;\n",
		"missing.conf": "stream {\n include nope.conf;\n}\n",
		"bad.conf":     "include bad.inc;\n",
		"bad.inc":      "a {\n",
	})
	cases := map[string]string{
		"cycle.conf":   fmt.Sprintf(`include cycle: %q is already being read in %s/loop.inc:1`, dir+"/cycle.conf", dir),
		"missing.conf": fmt.Sprintf(`open() %q failed (2: No such file or directory) in %s/missing.conf:2`, dir+"/nope.conf", dir),
		"bad.conf":     fmt.Sprintf(`unexpected end of file, expecting "}" in %s/bad.inc:2`, dir),
	}
	for file, want := range cases {
		_, err := ParseFile(filepath.Join(dir, file), Options{})
		if err == nil || err.Error() != want {
			t.Errorf("%s: got %v\nwant %s", file, err, want)
		}
	}
	_, err := ParseFile(filepath.Join(dir, "absent.conf"), Options{})
	if err == nil || !strings.HasPrefix(err.Error(), "open() ") {
		t.Errorf("missing main file: %v", err)
	}
}

func TestReadFileInjected(t *testing.T) {
	files := map[string]string{"/c/main.conf": "include /c/x.inc;", "/c/x.inc": "y 1;"}
	read := func(p string) ([]byte, error) {
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		return nil, fs.ErrNotExist
	}
	res, err := ParseFile("/c/main.conf", Options{ReadFile: read})
	if err != nil {
		t.Fatal(err)
	}
	if got := tree(res.Directives, 0); got != "y 1@x.inc:1;@1\n" {
		t.Errorf("got %q", got)
	}
}

func TestOSReason(t *testing.T) {
	_, err := os.Open("/nonexistent/strait")
	if got := OSReason(err); got != "2: No such file or directory" {
		t.Errorf("OSReason = %q", got)
	}
	if got := OSReason(errors.New("other")); got != "other" {
		t.Errorf("OSReason = %q", got)
	}
}
