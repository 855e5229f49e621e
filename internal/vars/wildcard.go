package vars

// wildcards are a hostnames map's wildcard keys, matched like nginx's
// ngx_hash_find_wc_head and ngx_hash_find_wc_tail: by whole labels, the
// most specific key winning.
type wildcards struct {
	// head holds "*.example.com" and ".example.com" by "example.com";
	// self marks the dot form, which also matches example.com itself.
	head map[string]headKey
	// tail holds "www.example.*" by "www.example".
	tail map[string]*Expr
}

type headKey struct {
	value *Expr
	self  bool
}

func (w *wildcards) any() bool { return len(w.head) > 0 || len(w.tail) > 0 }

// add records a wildcard key (already validated and lower-cased by the
// configuration loader).
func (w *wildcards) add(key string, value *Expr) {
	switch {
	case key[0] == '.':
		w.put(key[1:], headKey{value, true})
	case key[0] == '*':
		w.put(key[2:], headKey{value, false})
	default:
		if w.tail == nil {
			w.tail = map[string]*Expr{}
		}
		w.tail[key[:len(key)-2]] = value
	}
}

func (w *wildcards) put(suffix string, k headKey) {
	if w.head == nil {
		w.head = map[string]headKey{}
	}
	w.head[suffix] = k
}

// find looks a lower-case name up: head wildcards first, longest suffix
// first; then tail wildcards, longest prefix first. A tail wildcard needs
// at least one label in place of its "*".
func (w *wildcards) find(name []byte) *Expr {
	if len(w.head) > 0 {
		if k, ok := w.head[string(name)]; ok && k.self {
			return k.value
		}
		for i := 0; i < len(name); i++ {
			if name[i] != '.' {
				continue
			}
			if k, ok := w.head[string(name[i+1:])]; ok {
				return k.value
			}
		}
	}
	if len(w.tail) > 0 {
		for i := len(name) - 1; i > 0; i-- {
			if name[i] != '.' {
				continue
			}
			if v, ok := w.tail[string(name[:i])]; ok {
				return v
			}
		}
	}
	return nil
}
