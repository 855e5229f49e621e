package vars

import (
	"errors"
	"regexp"
	"strings"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/ngxconf"
)

// Build returns the registry of a stream {} block: the built-in
// variables and one variable per map. Errors use nginx's words and end
// with " in FILE:LINE".
func Build(maps []*config.Map, opts Options) (*Registry, error) {
	return BuildStream(&config.Stream{Maps: maps}, opts)
}

// Builtins returns the variables of nginx's stream core, upstream and
// realip, ssl and ssl_preread modules and strait's own $upstream_ssl_*.
func Builtins(opts Options) []Definition {
	return append(append(append(coreVariables(opts), upstreamVariables()...), realIPVariables()...), append(sslVariables(), prereadVariables()...)...)
}

// DefineMaps defines one variable per map with every map's source, values
// and default compiled. Maps may read each other in any order, as in
// nginx, where names are resolved after the whole configuration is read;
// so must every variable a map reads be defined before DefineMaps.
func (b *Builder) DefineMaps(maps []*config.Map) error {
	compiled := make([]*mapVar, len(maps))
	// First declare every map variable and named capture, so that any
	// expression may name them.
	for i, m := range maps {
		mv := &mapVar{hostnames: m.Hostnames, exact: map[string]*Expr{}}
		compiled[i] = mv
		flags := Changeable
		if m.Volatile {
			flags |= NoCache
		}
		if _, err := b.Define(Definition{Name: m.Variable, Flags: flags, Eval: mv.eval}); err != nil {
			return at(m.Pos, err)
		}
		for _, e := range m.Entries {
			if !e.Regex {
				continue
			}
			r, err := compileRegex(b, e)
			if err != nil {
				return at(e.Pos, err)
			}
			mv.regexes = append(mv.regexes, r)
		}
	}
	// Then compile the expressions.
	for i, m := range maps {
		if err := compileMap(b, m, compiled[i]); err != nil {
			return err
		}
	}
	return nil
}

// compileRegex compiles a ~ or ~* key and declares its named captures as
// variables, as ngx_stream_regex_compile does.
func compileRegex(b *Builder, e config.MapEntry) (mapRegex, error) {
	expr := e.Match
	if e.CaseInsensitive {
		expr = "(?i)" + expr
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return mapRegex{}, err
	}
	r := mapRegex{re: re, groups: re.NumSubexp() > 0}
	for group, name := range re.SubexpNames() {
		if name == "" {
			continue
		}
		v, err := b.Define(Definition{Name: name, Flags: Changeable, Eval: notFound,
			Doc: "named capture of a map regex"})
		if err != nil {
			return mapRegex{}, err
		}
		r.named = append(r.named, namedCapture{v: v, group: group})
	}
	return r, nil
}

// notFound is the getter of a named capture before any regex set it
// (ngx_stream_variable_not_found).
func notFound(_ *Session, buf []byte) (string, bool, []byte) { return "", false, buf }

func compileMap(b *Builder, m *config.Map, mv *mapVar) error {
	var err error
	if mv.source, err = b.Compile(m.Source); err != nil {
		return at(m.Pos, err)
	}
	if mv.def, err = b.Compile(m.Default); err != nil {
		return at(m.DefaultPos, err)
	}
	regex := 0
	for _, e := range m.Entries {
		value, err := b.Compile(e.Value)
		if err != nil {
			return at(e.Pos, err)
		}
		switch {
		case e.Regex:
			mv.regexes[regex].value = value
			regex++
		case e.Wildcard:
			mv.wild.add(e.Match, value)
		default:
			mv.exact[strings.ToLower(e.Match)] = value
		}
	}
	return nil
}

// CompileAt compiles an expression of the configuration at pos: errors
// end with " in FILE:LINE".
func (r *Registry) CompileAt(text string, pos ngxconf.Pos) (*Expr, error) {
	e, err := r.Compile(text)
	if err != nil {
		return nil, at(pos, err)
	}
	return e, nil
}

// At places an error of the variable engine at a configuration position,
// keeping the hint an unknown variable carries.
func At(pos ngxconf.Pos, err error) error { return at(pos, err) }

func at(pos ngxconf.Pos, err error) error {
	var ce *ngxconf.Error
	if errors.As(err, &ce) {
		return err // already placed
	}
	e := &ngxconf.Error{Pos: pos, Msg: err.Error()}
	var u *UnknownError
	if errors.As(err, &u) {
		e.Hint = u.Hint
	}
	return e
}
