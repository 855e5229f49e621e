package config

import (
	"regexp"
	"regexp/syntax"
	"strings"

	"github.com/straitproxy/strait/internal/ngxconf"
)

// setMap parses `map string $variable { ... }`. Its block holds
// `key value;` pairs and the special lines default, hostnames and
// volatile rather than directives (includes were already expanded).
func setMap(s *scope, d *ngxconf.Directive) error {
	v := d.Args[1].Value
	if len(v) < 2 || v[0] != '$' {
		return errorf(d, "invalid variable name %q", v)
	}
	m := &Map{Source: d.Args[0].Value, Variable: v[1:]}
	seen := map[string]bool{}
	hasDefault := false
	for _, e := range d.Block {
		if e.HasBlock {
			return errorf(e, "unexpected \"{\"")
		}
		n := len(e.Args)
		switch {
		case e.Name == "hostnames" && n == 0:
			m.Hostnames = true
			continue
		case e.Name == "volatile" && n == 0:
			continue
		case n != 1:
			return errorf(e, "invalid number of the map parameters")
		case e.Name == "default":
			if hasDefault {
				return errorf(e, "duplicate default map parameter")
			}
			hasDefault, m.Default = true, e.Args[0].Value
			continue
		}
		entry, err := mapEntry(e, m.Hostnames)
		if err != nil {
			return err
		}
		key := entry.Match
		if entry.Regex {
			key = "~" + key
		}
		if seen[key] {
			return errorf(e, "conflicting parameter %q", e.Name)
		}
		seen[key] = true
		m.Entries = append(m.Entries, entry)
	}
	s.l.cfg.Stream.Maps = append(s.l.cfg.Stream.Maps, m)
	return nil
}

// mapEntry reads one `key value;` line: ~regex, ~*regex (case
// insensitive), \~literal, or an exact string.
func mapEntry(e *ngxconf.Directive, hostnames bool) (MapEntry, error) {
	key := e.Name
	me := MapEntry{Value: e.Args[0].Value}
	if strings.HasPrefix(key, "~") && len(key) > 1 {
		me.Regex = true
		key = key[1:]
		if strings.HasPrefix(key, "*") {
			me.CaseInsensitive, key = true, key[1:]
		}
		expr := key
		if me.CaseInsensitive {
			expr = "(?i)" + expr
		}
		if _, err := regexp.Compile(expr); err != nil {
			return me, errorf(e, "invalid regular expression %q: %v", key, regexpReason(err))
		}
		me.Match = key
		return me, nil
	}
	if strings.HasPrefix(key, `\`) && len(key) > 1 {
		key = key[1:]
	}
	if hostnames {
		key = strings.ToLower(key)
	}
	me.Match = key
	return me, nil
}

// regexpReason keeps the reason of a regexp error without repeating the
// expression.
func regexpReason(err error) string {
	if re, ok := err.(*syntax.Error); ok {
		return string(re.Code)
	}
	return err.Error()
}
