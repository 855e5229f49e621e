package accesslog

import "slices"

const upperHex = "0123456789ABCDEF"

// escapeTail escapes dst[start:] in place for mode. It sizes the result
// first and then rewrites the value back to front, so a value is copied at
// most once and nothing is allocated when dst has spare capacity.
func escapeTail(dst []byte, start int, mode escapeMode) []byte {
	if mode == escapeNone {
		return dst
	}
	growth := 0
	for _, c := range dst[start:] {
		growth += escapedLen(c, mode) - 1
	}
	if growth == 0 {
		return dst
	}
	end := len(dst)
	dst = slices.Grow(dst, growth)[:end+growth]
	w := len(dst)
	var seq [6]byte
	for r := end - 1; r >= start; r-- {
		n := escapeByte(&seq, dst[r], mode)
		w -= n
		copy(dst[w:], seq[:n])
	}
	return dst
}

// escapedLen is the length of c once escaped.
func escapedLen(c byte, mode escapeMode) int {
	if mode == escapeJSON {
		switch {
		case c == '"' || c == '\\':
			return 2
		case c >= 0x20:
			return 1
		case c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f':
			return 2
		}
		return 6 // \u00XX
	}
	if needsDefaultEscape(c) {
		return 4 // \xHH
	}
	return 1
}

// needsDefaultEscape mirrors nginx's log escape table: control bytes, `"`,
// `\`, DEL and every byte >= 0x80.
func needsDefaultEscape(c byte) bool {
	return c < 0x20 || c == '"' || c == '\\' || c >= 0x7f
}

// escapeByte writes the escaped form of c into seq and returns its length.
func escapeByte(seq *[6]byte, c byte, mode escapeMode) int {
	if mode == escapeJSON {
		switch c {
		case '"', '\\':
			seq[0], seq[1] = '\\', c
			return 2
		case '\n':
			seq[0], seq[1] = '\\', 'n'
			return 2
		case '\r':
			seq[0], seq[1] = '\\', 'r'
			return 2
		case '\t':
			seq[0], seq[1] = '\\', 't'
			return 2
		case '\b':
			seq[0], seq[1] = '\\', 'b'
			return 2
		case '\f':
			seq[0], seq[1] = '\\', 'f'
			return 2
		}
		if c < 0x20 {
			*seq = [6]byte{'\\', 'u', '0', '0', upperHex[c>>4], upperHex[c&0xf]}
			return 6
		}
		seq[0] = c
		return 1
	}
	if needsDefaultEscape(c) {
		seq[0], seq[1], seq[2], seq[3] = '\\', 'x', upperHex[c>>4], upperHex[c&0xf]
		return 4
	}
	seq[0] = c
	return 1
}
