package vars

import (
	"fmt"
	"sort"
	"strings"

	"github.com/straitproxy/strait/internal/config"
)

// Flags are nginx's variable flags (NGX_STREAM_VAR_*).
type Flags uint8

const (
	// NoCache (NGX_STREAM_VAR_NOCACHEABLE) marks a value that must be
	// computed again on every use: the clock, the session's progress, a
	// map declared volatile.
	NoCache Flags = 1 << iota
	// Changeable (NGX_STREAM_VAR_CHANGEABLE) lets a later definition take
	// the name over (map, regex named captures, and later set); defining
	// a name that is not changeable again is an error.
	Changeable
	// Prefix (NGX_STREAM_VAR_PREFIX) matches every name that starts with
	// the variable's name; the getter receives the rest of the name.
	Prefix
)

// Getter appends the value of a variable for s to dst. ok is false when
// the variable is "not found" for this session (nginx's not_found), which
// the access log shows as "-"; a found empty value shows as nothing.
type Getter func(dst []byte, s *Session) (out []byte, ok bool)

// Definition declares one variable to a Builder.
type Definition struct {
	Name  string // without "$"
	Flags Flags
	// Get reads the session's live state each time it is called; the
	// engine never stores its result. Set exactly one of Get, Eval and
	// ForName.
	Get Getter
	// Eval computes a value that the engine keeps in the session until
	// the session ends (unless NoCache): map, and later set, geo,
	// split_clients. buf is scratch space it may append to (its content
	// is discarded); it returns buf, possibly grown.
	Eval func(s *Session, buf []byte) (val string, ok bool, grown []byte)
	// ForName builds the getter of a Prefix variable for the part of the
	// name after the prefix, when an expression names it.
	ForName func(rest string) (Getter, error)
	Doc     string // one line, for documentation
}

// Variable is one registered variable. Compiled expressions hold pointers
// to it, so the name is looked up once, at load.
type Variable struct {
	name  string
	flags Flags
	get   Getter
	eval  func(s *Session, buf []byte) (string, bool, []byte)
	slot  int // index in the session cache for Eval variables; -1 otherwise
	doc   string
}

// Name returns the variable's name, lower-case, without "$".
func (v *Variable) Name() string { return v.name }

// Flags returns nginx's flags for the variable.
func (v *Variable) Flags() Flags { return v.flags }

// Doc returns the variable's one-line description.
func (v *Variable) Doc() string { return v.doc }

// Append appends the variable's value for s to dst and reports whether it
// was found. It allocates nothing for the built-in variables; a map
// value is computed once per session (unless volatile) and then copied.
func (v *Variable) Append(dst []byte, s *Session) ([]byte, bool) {
	if v.eval == nil {
		return v.get(dst, s)
	}
	if v.flags&NoCache != 0 {
		return v.evalOnce(dst, s)
	}
	sl := s.cache.slot(v.slot)
	switch sl.state {
	case slotValid:
		return append(dst, sl.val...), true
	case slotNotFound, slotBusy:
		// Busy: the variable depends on itself (a map whose source
		// reads the map); nginx would recurse without end.
		return dst, false
	}
	sl.state = slotBusy
	val, ok, grown := v.eval(s, dst)
	dst = grown[:len(dst)]
	// The cache may have grown while eval ran: look the slot up again.
	sl = s.cache.slot(v.slot)
	if !ok {
		sl.state = slotNotFound
		return dst, false
	}
	sl.state, sl.val = slotValid, val
	return append(dst, val...), true
}

// evalOnce computes a NoCache stored variable, guarding against cycles.
func (v *Variable) evalOnce(dst []byte, s *Session) ([]byte, bool) {
	sl := s.cache.slot(v.slot)
	if sl.state == slotBusy {
		return dst, false
	}
	sl.state = slotBusy
	val, ok, grown := v.eval(s, dst)
	dst = grown[:len(dst)]
	s.cache.slot(v.slot).state = slotUnset
	if !ok {
		return dst, false
	}
	return append(dst, val...), true
}

// set stores a value for v in the session, as a regex match does for a
// named capture.
func (v *Variable) set(s *Session, val string) {
	if v.slot < 0 {
		return
	}
	sl := s.cache.slot(v.slot)
	sl.state, sl.val = slotValid, val
}

// Builder collects definitions. Build freezes them into a Registry.
type Builder struct {
	vars     map[string]*Variable
	prefixes []*prefixVar
	nslots   int
	built    bool
}

type prefixVar struct {
	name    string
	flags   Flags
	forName func(string) (Getter, error)
	doc     string
}

// NewBuilder returns a builder holding defs.
func NewBuilder(defs ...Definition) (*Builder, error) {
	b := &Builder{vars: map[string]*Variable{}}
	for _, d := range defs {
		if _, err := b.Define(d); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// Define adds a variable, as ngx_stream_add_variable does: names are
// case-insensitive; defining a name again is allowed only when both
// definitions are Changeable, and then the new getter replaces the old
// one (the last map for a name wins, as in nginx).
func (b *Builder) Define(d Definition) (*Variable, error) {
	if b.built {
		return nil, fmt.Errorf("variable %q defined after the registry was built", d.Name)
	}
	if d.Name == "" {
		return nil, fmt.Errorf(`invalid variable name "$"`)
	}
	name := strings.ToLower(d.Name)
	if d.Flags&Prefix != 0 {
		b.prefixes = append(b.prefixes, &prefixVar{name: name, flags: d.Flags, forName: d.ForName, doc: d.Doc})
		// Longest prefix first, so the most specific one wins.
		sort.SliceStable(b.prefixes, func(i, j int) bool { return len(b.prefixes[i].name) > len(b.prefixes[j].name) })
		return nil, nil
	}
	v, ok := b.vars[name]
	if ok && (v.flags&Changeable == 0 || d.Flags&Changeable == 0) {
		return nil, fmt.Errorf("the duplicate %q variable", d.Name)
	}
	if !ok {
		v = &Variable{name: name, slot: -1}
		b.vars[name] = v
	}
	v.flags, v.get, v.eval, v.doc = d.Flags, d.Get, d.Eval, d.Doc
	if v.eval != nil && v.slot < 0 {
		v.slot = b.nslots
		b.nslots++
	}
	return v, nil
}

// Lookup finds a variable by name (case-insensitive, without "$"). An
// unknown name is nginx's `unknown "name" variable`.
func (b *Builder) Lookup(name string) (*Variable, error) {
	low := strings.ToLower(name)
	if v, ok := b.vars[low]; ok {
		return v, nil
	}
	for _, p := range b.prefixes {
		rest, ok := strings.CutPrefix(low, p.name)
		if !ok {
			continue
		}
		get, err := p.forName(rest)
		if err != nil {
			return nil, err
		}
		return &Variable{name: low, flags: p.flags &^ Prefix, get: get, slot: -1, doc: p.doc}, nil
	}
	return nil, unknown(name)
}

// Compile compiles an expression against the variables defined so far.
func (b *Builder) Compile(text string) (*Expr, error) { return compile(b.Lookup, text) }

// Build freezes the builder into a Registry. Defining more variables
// afterwards is an error.
func (b *Builder) Build() *Registry {
	b.built = true
	return &Registry{b: b}
}

// Registry is the immutable set of variables of one configuration. It is
// safe for concurrent use.
type Registry struct {
	b *Builder
	// nameRegexes are the compiled server_name regexes by block.
	nameRegexes map[*config.Server][]*NameRegex
}

// Lookup finds a variable by name; see Builder.Lookup.
func (r *Registry) Lookup(name string) (*Variable, error) { return r.b.Lookup(name) }

// Compile compiles a value expression (nginx's complex value): literal
// text with $name, ${name} and $1..$9. Errors use nginx's wording and
// carry no position; the caller adds " in FILE:LINE".
func (r *Registry) Compile(text string) (*Expr, error) { return r.b.Compile(text) }

// Variables returns every variable with a fixed name, sorted by name.
func (r *Registry) Variables() []*Variable {
	out := make([]*Variable, 0, len(r.b.vars))
	for _, v := range r.b.vars {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}
