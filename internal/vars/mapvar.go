package vars

import "regexp"

// mapVar is one compiled map {} block (ngx_stream_map_module.c).
type mapVar struct {
	source    *Expr
	hostnames bool
	exact     map[string]*Expr // lower-case keys
	wild      wildcards        // hostnames "*.x", ".x" and "x.*" keys
	regexes   []mapRegex       // in configuration order
	def       *Expr            // the default value; "" when none is given
}

// mapRegex is one ~ or ~* key.
type mapRegex struct {
	re *regexp.Regexp
	// groups is true when the regex has subexpressions: a match then
	// records its captures for $1..$9 and named captures.
	groups bool
	named  []namedCapture
	value  *Expr
}

// namedCapture is a (?P<name>...) group, which nginx turns into a
// variable set by every successful match.
type namedCapture struct {
	v     *Variable
	group int
}

// eval is the map variable's Eval: it evaluates the source onto buf,
// looks the result up, and evaluates the value found. Nothing is
// allocated when the value is plain text and the matching regex, if
// any, has no groups.
func (m *mapVar) eval(s *Session, buf []byte) (string, bool, []byte) {
	start := len(buf)
	buf = m.source.Append(buf, s)
	end := len(buf)
	if m.hostnames && end > start && buf[end-1] == '.' {
		end-- // ngx_stream_map_variable drops a trailing dot
	}
	// The hash lookups use a lower-case copy; regexes see the original.
	buf = append(buf[:end], buf[start:end]...)
	low := buf[end:]
	for i, c := range low {
		if 'A' <= c && c <= 'Z' {
			low[i] = c + 'a' - 'A'
		}
	}
	value := m.find(s, buf[start:end], low)
	buf = buf[:start]
	if v, ok := value.Static(); ok {
		return v, true, buf
	}
	buf = value.Append(buf, s)
	return string(buf[start:]), true, buf[:start]
}

// find follows ngx_stream_map_find: the exact keys, then the wildcards
// (ngx_hash_find_combined), then the regexes in order, which never see an
// empty subject; else the default.
func (m *mapVar) find(s *Session, subject, low []byte) *Expr {
	if v, ok := m.exact[string(low)]; ok {
		return v
	}
	if m.wild.any() {
		if v := m.wild.find(low); v != nil {
			return v
		}
	}
	if len(subject) == 0 {
		return m.def
	}
	for i := range m.regexes {
		r := &m.regexes[i]
		if !r.groups {
			if r.re.Match(subject) {
				// A match without groups leaves no captures, as
				// ngx_stream_regex_exec sets ncaptures to zero.
				s.cache.subject, s.cache.captures = "", nil
				return r.value
			}
			continue
		}
		loc := r.re.FindSubmatchIndex(subject)
		if loc == nil {
			continue
		}
		// Captures and named captures outlive this evaluation (a later
		// expression may read them), so they need their own copy.
		s.cache.subject, s.cache.captures = string(subject), loc
		for _, nc := range r.named {
			nc.v.set(s, s.cache.capture(nc.group))
		}
		return r.value
	}
	return m.def
}
