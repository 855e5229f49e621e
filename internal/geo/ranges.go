package geo

import "fmt"

// SetDefault sets the value for addresses in no range. dup reports a
// previous default, which nginx warns about.
func (t *Table) SetDefault(val string) (old string, dup bool) {
	if t.def != nil {
		old, dup = *t.def, true
	}
	t.def = &val
	return old, dup
}

// Replaced is a range given twice: nginx keeps the new value and warns.
type Replaced struct{ Old string }

// OverlapError is a range that overlaps part of an existing one, which
// nginx refuses: `range "X" overlaps "Y"`. Its text is the "Y" part.
type OverlapError struct{ Existing string }

func (e *OverlapError) Error() string { return "overlaps " + e.Existing }

// AddRange adds start-end with the value val, following
// ngx_stream_geo_add_range /16 by /16: a range inside an existing one
// splits it, a range equal to one replaces its value (reported in
// replaced, once per /16), and any other overlap is an error.
func (t *Table) AddRange(start, end uint32, val string) (replaced []Replaced, err error) {
	v := &val
	for n := start; n <= end; n = (n + 0x10000) & 0xffff0000 {
		h := n >> 16
		s, e := uint16(0), uint16(0xffff)
		if n == start {
			s = uint16(n)
		}
		if n|0xffff > end {
			e = uint16(end)
		}
		a := t.low[h]
		placed := false
		for i := len(a) - 1; i >= 0 && !placed; i-- {
			r := a[i]
			switch {
			case e < r.start:
				continue
			case s > r.end:
				a = insertSpan(a, i+1, span{s, e, v})
			case s == r.start && e == r.end:
				replaced = append(replaced, Replaced{Old: *r.val})
				a[i].val = v
			case s > r.start && e < r.end:
				// Split the range around the new one.
				a = insertSpan(a, i+1, span{s, e, v}, span{e + 1, r.end, r.val})
				a[i].end = s - 1
			case s == r.start && e < r.end:
				a = insertSpan(a, i, span{s, e, v})
				a[i+1].start = e + 1
			case s > r.start && e == r.end:
				a = insertSpan(a, i+1, span{s, e, v})
				a[i].end = s - 1
			default:
				return replaced, &OverlapError{Existing: fmt.Sprintf("%d.%d.%d.%d-%d.%d.%d.%d",
					h>>8, h&0xff, r.start>>8, r.start&0xff, h>>8, h&0xff, r.end>>8, r.end&0xff)}
			}
			placed = true
		}
		if !placed {
			a = insertSpan(a, 0, span{s, e, v})
		}
		t.low[h] = a
		if h == 0xffff {
			break
		}
	}
	return replaced, nil
}

func insertSpan(a []span, i int, s ...span) []span {
	return append(a[:i], append(s, a[i:]...)...)
}

// DeleteRange removes start-end, which must match ranges exactly /16 by
// /16 as ngx_stream_geo_delete_range requires; missing reports that some
// part was not there ("no address range to delete").
func (t *Table) DeleteRange(start, end uint32) (missing bool) {
	for n := start; n <= end; n = (n + 0x10000) & 0xffff0000 {
		h := n >> 16
		s, e := uint16(0), uint16(0xffff)
		if n == start {
			s = uint16(n)
		}
		if n|0xffff > end {
			e = uint16(end)
		}
		a := t.low[h]
		if len(a) == 0 {
			missing = true
		}
		for i := range a {
			if a[i].start == s && a[i].end == e {
				t.low[h] = append(a[:i], a[i+1:]...)
				break
			}
			if i == len(a)-1 {
				missing = true
			}
		}
		if h == 0xffff {
			break
		}
	}
	return missing
}

// findRange is ngx_stream_geo_range_variable's search.
func (t *Table) findRange(addr uint32) string {
	for _, r := range t.low[addr>>16] {
		if n := uint16(addr); n >= r.start && n <= r.end {
			return *r.val
		}
	}
	if t.def != nil {
		return *t.def
	}
	return ""
}
