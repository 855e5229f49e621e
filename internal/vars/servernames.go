package vars

import "github.com/straitproxy/strait/internal/config"

// NameRegex is one compiled `server_name ~regex`, with its named
// captures declared as variables (ngx_stream_regex_compile).
type NameRegex struct{ mapRegex }

// defineServerNames compiles the regex names of every server block.
func (b *Builder) defineServerNames(servers []*config.Server) (map[*config.Server][]*NameRegex, error) {
	out := map[*config.Server][]*NameRegex{}
	for _, srv := range servers {
		for i, sn := range srv.ServerNames {
			if !sn.Regex {
				continue
			}
			r, err := compileRegex(b, config.MapEntry{Match: sn.Name, CaseInsensitive: sn.CaseInsensitive})
			if err != nil {
				return nil, at(sn.Pos, err)
			}
			if out[srv] == nil {
				out[srv] = make([]*NameRegex, len(srv.ServerNames))
			}
			out[srv][i] = &NameRegex{r}
		}
	}
	return out, nil
}

// ServerNameRegex returns the compiled regex of srv.ServerNames[i]; nil
// for a name that is not a regex.
func (r *Registry) ServerNameRegex(srv *config.Server, i int) *NameRegex {
	if rs := r.nameRegexes[srv]; rs != nil {
		return rs[i]
	}
	return nil
}

// ServerNames finds the server block of a name among those sharing one
// listen address, as ngx_stream_find_virtual_server does: exact names,
// then wildcards (the most specific first), then regexes in the order
// of the configuration. Values are the caller's indexes of blocks.
// Immutable once built; safe for concurrent use.
type ServerNames struct {
	exact   map[string]int
	wild    wildcards
	blocks  map[*Expr]int // the wildcards' values stand for indexes
	regexes []nameRegexIndex
}

type nameRegexIndex struct {
	re  *NameRegex
	idx int
}

// Add records one name of block idx. A name an earlier block on the
// address has is ignored, as nginx does after its "conflicting server
// name" warning.
func (t *ServerNames) Add(sn config.ServerName, re *NameRegex, idx int) {
	if re != nil {
		t.regexes = append(t.regexes, nameRegexIndex{re, idx})
		return
	}
	name := sn.Name
	wild := len(name) > 1 && (name[0] == '.' || (name[0] == '*' && name[1] == '.') || name[len(name)-2:] == ".*")
	if !wild {
		if t.exact == nil {
			t.exact = map[string]int{}
		}
		if _, dup := t.exact[name]; !dup {
			t.exact[name] = idx
		}
		return
	}
	if name[0] == '.' {
		// ".example.com" also names example.com itself.
		if t.exact == nil {
			t.exact = map[string]int{}
		}
		if _, dup := t.exact[name[1:]]; dup {
			return
		}
		t.exact[name[1:]] = idx
	}
	if t.hasWild(name) {
		return
	}
	if t.blocks == nil {
		t.blocks = map[*Expr]int{}
	}
	e := &Expr{} // a distinct pointer standing for idx
	t.blocks[e] = idx
	t.wild.add(name, e)
}

// hasWild reports whether the wildcard's own key is already recorded.
func (t *ServerNames) hasWild(name string) bool {
	switch {
	case name[0] == '.':
		_, ok := t.wild.head[name[1:]]
		return ok
	case name[0] == '*':
		_, ok := t.wild.head[name[2:]]
		return ok
	}
	_, ok := t.wild.tail[name[:len(name)-2]]
	return ok
}

// Find looks up host (validated and lower-cased by the caller). A regex
// match sets the session's captures, $1..$9 and named ones, as
// ngx_stream_regex_exec does.
func (t *ServerNames) Find(s *Session, host string) (int, bool) {
	if i, ok := t.exact[host]; ok {
		return i, true
	}
	if t.wild.any() {
		if e := t.wild.find([]byte(host)); e != nil {
			return t.blocks[e], true
		}
	}
	if host == "" {
		return 0, false
	}
	for _, r := range t.regexes {
		if r.re.match(s, host) {
			return r.idx, true
		}
	}
	return 0, false
}

// match runs the regex and keeps its captures in the session.
func (r *NameRegex) match(s *Session, subject string) bool {
	if !r.groups {
		if !r.re.MatchString(subject) {
			return false
		}
		s.cache.subject, s.cache.captures = "", nil
		return true
	}
	loc := r.re.FindStringSubmatchIndex(subject)
	if loc == nil {
		return false
	}
	s.cache.subject, s.cache.captures = subject, loc
	for _, nc := range r.named {
		nc.v.set(s, s.cache.capture(nc.group))
	}
	return true
}
