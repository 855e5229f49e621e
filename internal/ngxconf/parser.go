package ngxconf

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// Result is a parsed configuration: the directive tree with includes
// spliced in, and every file that was read, in reading order.
type Result struct {
	Directives []*Directive
	Sources    []Source
}

// Options control where relative include paths resolve.
type Options struct {
	// Dir is the directory relative include paths resolve against. nginx
	// uses the directory of the main configuration file; so does ParseFile
	// when Dir is empty.
	Dir string
	// ReadFile reads a file; os.ReadFile when nil (tests inject fakes).
	ReadFile func(string) ([]byte, error)
	// MaxDepth bounds include nesting; 0 means 64.
	MaxDepth int
}

type parser struct {
	opts    Options
	res     *Result
	reading []string // include stack, for cycle detection
	depth   int      // block nesting depth
}

// ParseFile reads and parses the main configuration file.
func ParseFile(path string, opts Options) (*Result, error) {
	if opts.Dir == "" {
		opts.Dir = filepath.Dir(path)
	}
	p := newParser(opts)
	src, err := p.opts.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("open() %q failed (%s)", path, OSReason(err))
	}
	d, err := p.parseFile(path, src)
	if err != nil {
		return nil, err
	}
	p.res.Directives = d
	return p.res, nil
}

// ParseString parses configuration text that does not come from a file,
// such as the -g command-line directives; name is used in positions.
func ParseString(name, text string, opts Options) (*Result, error) {
	p := newParser(opts)
	d, err := p.parseFile(name, []byte(text))
	if err != nil {
		return nil, err
	}
	p.res.Directives = d
	return p.res, nil
}

func newParser(opts Options) *parser {
	if opts.ReadFile == nil {
		opts.ReadFile = os.ReadFile
	}
	if opts.MaxDepth == 0 {
		opts.MaxDepth = 64
	}
	return &parser{opts: opts, res: &Result{}}
}

// OSReason formats an OS error as nginx does: "2: No such file or directory".
func OSReason(err error) string {
	var errno syscall.Errno
	if e, ok := err.(*os.PathError); ok {
		err = e.Err
	}
	if e, ok := err.(syscall.Errno); ok {
		errno = e
		return fmt.Sprintf("%d: %s", int(errno), capitalize(errno.Error()))
	}
	return err.Error()
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (p *parser) parseFile(name string, src []byte) ([]*Directive, error) {
	p.res.Sources = append(p.res.Sources, Source{Path: name, Text: src})
	p.reading = append(p.reading, name)
	defer func() { p.reading = p.reading[:len(p.reading)-1] }()
	lx := newLexer(name, src)
	out, _, err := p.block(lx, false)
	return out, err
}

// block reads directives until EOF (top level) or a closing brace, and
// returns where it ended: the brace, or the end of the file.
func (p *parser) block(lx *lexer, inBlock bool) ([]*Directive, Pos, error) {
	var out []*Directive
	for {
		t, err := lx.next()
		if err != nil {
			return nil, Pos{}, err
		}
		switch t.kind {
		case tokEOF:
			if inBlock {
				return nil, Pos{}, &Error{Pos: t.pos, Msg: `unexpected end of file, expecting "}"`}
			}
			return out, t.pos, nil
		case tokClose:
			if !inBlock {
				return nil, Pos{}, &Error{Pos: t.pos, Msg: `unexpected "}"`}
			}
			return out, t.pos, nil
		case tokSemicolon:
			return nil, Pos{}, &Error{Pos: t.pos, Msg: `unexpected ";"`}
		case tokOpen:
			return nil, Pos{}, &Error{Pos: t.pos, Msg: `unexpected "{"`}
		}
		d, err := p.directive(lx, t)
		if err != nil {
			return nil, Pos{}, err
		}
		// nginx matches directive names after unquoting, so a quoted
		// "include" includes too.
		if d.Name == "include" && !d.HasBlock {
			inc, err := p.include(d)
			if err != nil {
				return nil, Pos{}, err
			}
			out = append(out, inc...)
			continue
		}
		out = append(out, d)
	}
}

// directive reads the arguments after the name and, for `{`, the block.
func (p *parser) directive(lx *lexer, name token) (*Directive, error) {
	d := &Directive{Name: name.value, Pos: name.pos}
	for {
		t, err := lx.next()
		if err != nil {
			return nil, err
		}
		switch t.kind {
		case tokWord:
			d.Args = append(d.Args, Arg{Value: t.value, Quoted: t.quoted, Pos: t.pos})
		case tokSemicolon:
			d.EndPos = t.pos
			return d, nil
		case tokOpen:
			// Bound nesting so hostile input cannot exhaust the stack.
			if p.depth >= 100 {
				return nil, &Error{Pos: t.pos, Msg: "too deeply nested blocks"}
			}
			d.HasBlock = true
			p.depth++
			blk, end, err := p.block(lx, true)
			p.depth--
			if err != nil {
				return nil, err
			}
			d.Block = blk
			d.EndPos = end
			return d, nil
		case tokClose:
			return nil, &Error{Pos: t.pos, Msg: `unexpected "}"`}
		case tokEOF:
			return nil, &Error{Pos: t.pos, Msg: `unexpected end of file, expecting ";" or "}"`}
		}
	}
}

// include expands `include pattern;` in place. Relative patterns resolve
// against Options.Dir; globs expand in sorted order and may match nothing.
func (p *parser) include(d *Directive) ([]*Directive, error) {
	if len(d.Args) != 1 {
		return nil, &Error{Pos: d.Pos, Msg: `invalid number of arguments in "include" directive`}
	}
	pattern := d.Args[0].Value
	if !filepath.IsAbs(pattern) {
		pattern = filepath.Join(p.opts.Dir, pattern)
	}
	files := []string{pattern}
	if strings.ContainsAny(pattern, "*?[") {
		m, err := filepath.Glob(pattern)
		if err != nil {
			return nil, &Error{Pos: d.Pos, Msg: fmt.Sprintf("glob() %q failed (%v)", pattern, err)}
		}
		sort.Strings(m)
		files = m
	}
	var out []*Directive
	for _, f := range files {
		for _, r := range p.reading {
			if r == f {
				return nil, &Error{Pos: d.Pos, Msg: fmt.Sprintf("include cycle: %q is already being read", f)}
			}
		}
		if len(p.reading) >= p.opts.MaxDepth {
			return nil, &Error{Pos: d.Pos, Msg: "too many nested includes"}
		}
		src, err := p.opts.ReadFile(f)
		if err != nil {
			return nil, &Error{Pos: d.Pos, Msg: fmt.Sprintf("open() %q failed (%s)", f, OSReason(err))}
		}
		ds, err := p.parseFile(f, src)
		if err != nil {
			return nil, err
		}
		out = append(out, ds...)
	}
	return out, nil
}
