// Package ngxconf reads nginx configuration *syntax*: it turns text into a
// tree of directives with arguments and blocks, resolves include with globs,
// and keeps the file, line and column of every token. It knows nothing about
// what a directive means; internal/config does.
package ngxconf

import "fmt"

// Pos is a position in a configuration source.
type Pos struct {
	File string // path as opened, or "command line" for -g directives
	Line int    // 1-based
	Col  int    // 1-based, in bytes
}

// CommandLine is the file name of positions in -g directives.
const CommandLine = "command line"

// String formats the position the way nginx does in messages: FILE:LINE,
// or just "command line" for -g directives.
func (p Pos) String() string {
	if p.File == CommandLine {
		return p.File
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// Arg is one argument of a directive.
type Arg struct {
	Value  string // unquoted, escapes resolved; variables kept as text
	Quoted bool   // written in single or double quotes
	Pos    Pos
}

// Directive is one statement: `name args...;` or `name args... { block }`.
type Directive struct {
	Name     string
	Args     []Arg
	Pos      Pos
	HasBlock bool
	Block    []*Directive
	EndPos   Pos // position of the closing '}' (or ';')
}

// Values returns the argument values.
func (d *Directive) Values() []string {
	v := make([]string, len(d.Args))
	for i, a := range d.Args {
		v[i] = a.Value
	}
	return v
}

// Source is one file that was read, for `strait -T`.
type Source struct {
	Path string
	Text []byte
}

// Error is a configuration error with the position nginx would report,
// and an optional hint that strait adds after it.
type Error struct {
	Pos  Pos
	Msg  string
	Hint string // e.g. `did you mean "proxy_ssl"?`; nginx has none
}

func (e *Error) Error() string {
	s := e.Msg + " in " + e.Pos.String()
	if e.Hint != "" {
		s += " (" + e.Hint + ")"
	}
	return s
}
