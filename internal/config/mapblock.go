package config

import (
	"errors"
	"regexp"
	"regexp/syntax"
	"strings"

	"github.com/straitproxy/strait/internal/ngxconf"
)

// setMap parses `map string $variable { ... }` like ngx_stream_map_block.
// Its block holds `key value;` pairs and the special lines default,
// hostnames and volatile rather than directives (includes were already
// expanded). The source, the values and the variable's name are checked
// against the variable registry later, by internal/vars.
func setMap(s *scope, d *ngxconf.Directive) error {
	v := d.Args[1].Value
	if len(v) < 2 || v[0] != '$' {
		return errorf(d, "invalid variable name %q", v)
	}
	m := &Map{Source: d.Args[0].Value, Variable: v[1:], Pos: stmtPos(d)}
	keys := newMapKeys()
	for _, e := range d.Block {
		if e.HasBlock {
			return errorf(e, "unexpected \"{\"")
		}
		n := len(e.Args)
		switch {
		case e.Name == "hostnames" && n == 0:
			// Like nginx, hostnames applies to the entries after it.
			m.Hostnames = true
			continue
		case e.Name == "volatile" && n == 0:
			m.Volatile = true
			continue
		case n != 1:
			return errorf(e, "invalid number of the map parameters")
		case e.Name == "default":
			if m.HasDefault {
				return errorf(e, "duplicate default map parameter")
			}
			m.HasDefault, m.Default, m.DefaultPos = true, e.Args[0].Value, stmtPos(e)
			continue
		}
		entry, err := mapEntry(e, m.Hostnames)
		if err != nil {
			return err
		}
		if !entry.Regex {
			if err := keys.add(e, &entry); err != nil {
				return err
			}
		}
		m.Entries = append(m.Entries, entry)
	}
	s.l.cfg.Stream.Maps = append(s.l.cfg.Stream.Maps, m)
	return nil
}

// mapEntry reads one `key value;` line: ~regex, ~*regex (case
// insensitive), \~literal, a wildcard after hostnames, or an exact string.
func mapEntry(e *ngxconf.Directive, hostnames bool) (MapEntry, error) {
	key := e.Name
	me := MapEntry{Value: e.Args[0].Value, Pos: stmtPos(e)}
	if rest, ok := strings.CutPrefix(key, "~"); ok {
		me.Regex = true
		if rest, ok = strings.CutPrefix(rest, "*"); ok {
			me.CaseInsensitive = true
		}
		expr := rest
		if me.CaseInsensitive {
			expr = "(?i)" + expr
		}
		if _, err := regexp.Compile(expr); err != nil {
			return me, errorf(e, "invalid regular expression %q: %v", rest, regexpReason(err))
		}
		me.Match = rest
		return me, nil
	}
	key = strings.TrimPrefix(key, `\`)
	if hostnames {
		wild, err := isWildcard(key)
		if err != nil {
			return me, errorf(e, "invalid hostname or wildcard %q", key)
		}
		me.Wildcard = wild
	}
	me.Match = strings.ToLower(key)
	return me, nil
}

// isWildcard classifies a hostnames key as ngx_hash_add_key does:
// "*.example.com", ".example.com" and "www.example.*" are wildcards; any
// other "*", a "..", or a NUL byte makes the key invalid.
func isWildcard(key string) (bool, error) {
	if strings.Count(key, "*") > 1 || strings.Contains(key, "..") || strings.IndexByte(key, 0) >= 0 {
		return false, errInvalidWildcard
	}
	switch {
	case len(key) > 1 && key[0] == '.':
		return true, nil
	case len(key) > 2 && (strings.HasPrefix(key, "*.") || strings.HasSuffix(key, ".*")):
		return true, nil
	case strings.Contains(key, "*"):
		return false, errInvalidWildcard
	}
	return false, nil
}

var errInvalidWildcard = errors.New("invalid hostname or wildcard")

// mapKeys finds the keys nginx's hash refuses as "conflicting parameter":
// the same exact key twice (case-insensitively), ".example.com" with
// "example.com" or "*.example.com", and the same tail wildcard twice.
type mapKeys struct {
	exact, head, tail map[string]bool
}

func newMapKeys() *mapKeys {
	return &mapKeys{exact: map[string]bool{}, head: map[string]bool{}, tail: map[string]bool{}}
}

func (k *mapKeys) add(e *ngxconf.Directive, me *MapEntry) error {
	if k.conflicts(me.Match, me.Wildcard) {
		return errorf(e, "conflicting parameter %q", me.Match)
	}
	return nil
}

// conflicts records key and reports whether nginx's hash already held it
// (ngx_hash_add_key returning NGX_BUSY); a conflicting key is not
// recorded, which keeps the first one.
func (k *mapKeys) conflicts(key string, wild bool) bool {
	if !wild {
		if k.exact[key] {
			return true
		}
		k.exact[key] = true
		return false
	}
	switch {
	case strings.HasPrefix(key, "."):
		if k.exact[key[1:]] || k.head[key[1:]] {
			return true
		}
		k.exact[key[1:]], k.head[key[1:]] = true, true
	case strings.HasPrefix(key, "*."):
		if k.head[key[2:]] {
			return true
		}
		k.head[key[2:]] = true
	default:
		if k.tail[key[:len(key)-2]] {
			return true
		}
		k.tail[key[:len(key)-2]] = true
	}
	return false
}

// regexpReason keeps the reason of a regexp error without repeating the
// expression.
func regexpReason(err error) string {
	if re, ok := err.(*syntax.Error); ok {
		return string(re.Code)
	}
	return err.Error()
}
