package cipherlist

// ruleEngine applies the rules of one expression to a working list, the
// way OpenSSL's ssl_cipher_process_rulestr reads them: byte by byte, with
// no separate tokenizer, because several quirks depend on that (a word may
// end at an operator, so "HIGH!MD5" is HIGH then !MD5; "-" is a word
// character, so "HIGH-MD5" is one unknown word).
type ruleEngine struct {
	list     *order
	byName   map[string]*entry // exact OpenSSL names of the available suites
	level    int               // security level; the last @SECLEVEL wins
	levelSet bool              // the expression said @SECLEVEL
}

// isSeparator reports whether b separates rules (ITEM_SEP in OpenSSL).
func isSeparator(b byte) bool {
	return b == ':' || b == ' ' || b == ';' || b == ','
}

// isWordByte reports whether b may appear in a keyword or suite name.
func isWordByte(b byte) bool {
	return 'A' <= b && b <= 'Z' || 'a' <= b && b <= 'z' || '0' <= b && b <= '9' ||
		b == '-' || b == '.' || b == '='
}

// process applies every rule in text and reports false if OpenSSL would
// reject the expression as an invalid command.
func (r *ruleEngine) process(text string) bool {
	i := 0
	for i < len(text) {
		op, special := opAdd, false
		switch c := text[i]; {
		case c == '-':
			op = opDel
		case c == '+':
			op = opMove
		case c == '!':
			op = opKill
		case c == '@':
			special = true
		case isSeparator(c):
			i++
			continue
		}
		if op != opAdd || special {
			i++
		}

		var p pattern
		var word string
		found := false
		for {
			start := i
			for i < len(text) && isWordByte(text[i]) {
				i++
			}
			word = text[start:i]
			if word == "" {
				// Also covers "HIGH+" and "!:" — an operator with no word.
				return false
			}
			if special {
				break
			}
			multi := i < len(text) && text[i] == '+'
			if multi {
				i++
			}
			found = r.narrow(&p, word)
			if !found || !multi {
				break
			}
		}

		switch {
		case special:
			if !r.command(word) {
				return false
			}
			i = skipRule(text, i)
		case found:
			r.list.apply(op, p)
		default:
			// Unknown words, and intersections that cannot match, are
			// ignored together with the rest of the rule.
			i = skipRule(text, i)
		}
	}
	return true
}

// narrow intersects p with the selector word names, reporting false when
// the word is unknown or the intersection is empty.
func (r *ruleEngine) narrow(p *pattern, word string) bool {
	if s, ok := r.byName[word]; ok {
		return p.narrow(pattern{id: s.ID, kx: s.kx, auth: s.auth, enc: s.enc, mac: s.mac, strength: s.strength}, true)
	}
	a, ok := alias(word)
	if !ok {
		return false
	}
	return p.narrow(a, false)
}

// command runs an "@" command and reports whether OpenSSL knows it.
func (r *ruleEngine) command(word string) bool {
	switch {
	case word == "STRENGTH":
		r.list.sortByStrength()
		return true
	case len(word) == len("SECLEVEL=n") && word[:len("SECLEVEL=")] == "SECLEVEL=":
		level := int(word[len(word)-1]) - '0'
		if level < 0 || level > 5 {
			return false
		}
		r.level, r.levelSet = level, true
		return true
	}
	return false
}

// skipRule returns the index of the next separator at or after i.
func skipRule(text string, i int) int {
	for i < len(text) && !isSeparator(text[i]) {
		i++
	}
	return i
}
