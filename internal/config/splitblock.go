package config

import (
	"github.com/straitproxy/strait/internal/ngxconf"
)

// setSplitClients parses `split_clients string $variable { ... }` like
// ngx_conf_split_clients_block: lines `percent value;` or `* value;`.
func setSplitClients(s *scope, d *ngxconf.Directive) error {
	name, err := varName(d, d.Args[1].Value)
	if err != nil {
		return err
	}
	sc := &SplitClients{Source: d.Args[0].Value, Variable: name, Pos: stmtPos(d)}
	for _, e := range d.Block {
		if e.HasBlock {
			return errorf(e, "unexpected \"{\"")
		}
		part := SplitPart{}
		// nginx reads the value without checking the number of
		// arguments: a line with no value takes whatever text its
		// argument array held before, and extra arguments are ignored.
		// strait takes the empty value for the first case.
		if len(e.Args) > 0 {
			part.Value = e.Args[0].Value
		}
		if e.Name != "*" {
			p, ok := splitPercent(e.Name)
			if !ok {
				return errorf(e, "invalid percent value %q", e.Name)
			}
			part.Percent = p
		}
		sc.Parts = append(sc.Parts, part)
	}
	// The check runs when the block is done, so nginx reports it at the
	// closing brace.
	var sum uint32
	for _, p := range sc.Parts {
		sum = p.Percent + sum
		if p.Percent == 0 {
			sum = 10000
		}
		if sum > 10000 {
			return errorAt(d.EndPos, "percent total is greater than 100%%")
		}
	}
	s.l.cfg.Stream.SplitClients = append(s.l.cfg.Stream.SplitClients, sc)
	return nil
}

// splitPercent reads "12.34%" in hundredths of a percent as
// ngx_atofp(text, len-1, 2) does: at most two decimals, one dot, and 0
// refused. The result is truncated to 32 bits, as nginx stores it.
func splitPercent(text string) (uint32, bool) {
	if len(text) < 2 || text[len(text)-1] != '%' {
		return 0, false
	}
	text = text[:len(text)-1]
	const cutoff = (1<<63 - 1) / 10
	var value int64
	point, dot := 2, 0
	for i := 0; i < len(text); i++ {
		c := text[i]
		if point == 0 {
			return 0, false
		}
		if c == '.' {
			if dot == 1 {
				return 0, false
			}
			dot = 1
			continue
		}
		if c < '0' || c > '9' || value > cutoff || value == cutoff && c-'0' > 7 {
			return 0, false
		}
		value = value*10 + int64(c-'0')
		point -= dot
	}
	for ; point > 0; point-- {
		if value > cutoff {
			return 0, false
		}
		value *= 10
	}
	if value == 0 {
		return 0, false
	}
	return uint32(value), true
}
