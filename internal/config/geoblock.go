package config

import (
	"net/netip"
	"strings"

	"github.com/straitproxy/strait/internal/geo"
	"github.com/straitproxy/strait/internal/ngxaddr"
	"github.com/straitproxy/strait/internal/ngxconf"
)

// setGeo parses `geo [$address] $variable { ... }` like
// ngx_stream_geo_block. Its lines are `network value;` (or `from-to
// value;` after `ranges`), `default value;`, `delete network;`, `ranges;`
// and `volatile;`; includes were already expanded. The table is built
// line by line, so nginx's warnings and errors come out in its order.
func setGeo(s *scope, d *ngxconf.Directive) error {
	g := &Geo{Pos: stmtPos(d)}
	name, err := varName(d, d.Args[0].Value)
	if err != nil {
		return err
	}
	if len(d.Args) == 2 {
		g.Source = name
		if name, err = varName(d, d.Args[1].Value); err != nil {
			return err
		}
	}
	g.Variable = name
	b := &geoBuilder{l: s.l, t: geo.NewNetworks()}
	for _, e := range d.Block {
		if e.HasBlock {
			return errorf(e, "unexpected \"{\"")
		}
		if err := b.line(g, e); err != nil {
			return err
		}
	}
	b.t.Finish()
	g.Table = b.t
	s.l.cfg.Stream.Geos = append(s.l.cfg.Stream.Geos, g)
	return nil
}

type geoBuilder struct {
	l *loader
	t *geo.Table
	// networks is set once a line was read as a network (nginx creates
	// its radix trees then); "ranges" must come before that.
	networks bool
}

// line applies one line of the block, as ngx_stream_geo does.
func (b *geoBuilder) line(g *Geo, e *ngxconf.Directive) error {
	if len(e.Args) == 0 {
		switch e.Name {
		case "ranges":
			if b.networks {
				return errorf(e, "the \"ranges\" directive must be the first directive inside \"geo\" block")
			}
			if !b.t.Ranges() {
				b.t = geo.NewRanges()
			}
			return nil
		case "volatile":
			g.Volatile = true
			return nil
		}
	}
	if len(e.Args) != 1 {
		return errorf(e, "invalid number of the geo parameters")
	}
	if b.t.Ranges() {
		return b.rangeLine(e)
	}
	b.networks = true
	return b.networkLine(e)
}

func (b *geoBuilder) networkLine(e *ngxconf.Directive) error {
	key, val := e.Name, e.Args[0].Value
	if key == "default" {
		for _, p := range []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")} {
			b.add(e, p, key, val)
		}
		return nil
	}
	net, del := key, false
	if key == "delete" {
		net, del = val, true
	}
	p, err := geoNetwork(b.l, e, net)
	if err != nil {
		return err
	}
	if del {
		if !b.t.DeleteNetwork(p) {
			b.l.warn(stmtPos(e), "no network %q to delete", net)
		}
		return nil
	}
	b.add(e, p, net, val)
	return nil
}

func (b *geoBuilder) add(e *ngxconf.Directive, p netip.Prefix, net, val string) {
	if old, dup := b.t.AddNetwork(p, val); dup {
		b.l.warn(stmtPos(e), "duplicate network %q, value: %q, old value: %q", net, val, old)
	}
}

// geoNetwork reads a network as ngx_stream_geo_cidr_value does: nginx's
// address parser refuses "255.255.255.255" (it is INADDR_NONE), so the
// module takes that text, and only that text, as the host itself.
func geoNetwork(l *loader, e *ngxconf.Directive, net string) (netip.Prefix, error) {
	if net == "255.255.255.255" {
		return netip.MustParsePrefix("255.255.255.255/32"), nil
	}
	p, low, err := ngxaddr.ParseCIDR(net)
	if err != nil {
		return p, errorf(e, "invalid network %q", net)
	}
	if low {
		l.warn(stmtPos(e), "low address bits of %s are meaningless", net)
	}
	return p, nil
}

// rangeLine applies a line after "ranges", as ngx_stream_geo_range does.
func (b *geoBuilder) rangeLine(e *ngxconf.Directive) error {
	key, val := e.Name, e.Args[0].Value
	if key == "default" {
		if old, dup := b.t.SetDefault(val); dup {
			b.l.warn(stmtPos(e), "duplicate default geo range value: %q, old value: %q", val, old)
		}
		return nil
	}
	net, del := key, false
	if key == "delete" {
		net, del = val, true
	}
	from, to, ok := strings.Cut(net, "-")
	start, ok1 := ngxaddr.ParseIPv4(from)
	end, ok2 := ngxaddr.ParseIPv4(to)
	if !ok || !ok1 || !ok2 || start > end {
		return errorf(e, "invalid range %q", net)
	}
	if del {
		if b.t.DeleteRange(start, end) {
			b.l.warn(stmtPos(e), "no address range %q to delete", net)
		}
		return nil
	}
	replaced, err := b.t.AddRange(start, end, val)
	for _, r := range replaced {
		b.l.warn(stmtPos(e), "duplicate range %q, value: %q, old value: %q", net, val, r.Old)
	}
	if ov, isOverlap := err.(*geo.OverlapError); isOverlap {
		return errorf(e, "range %q overlaps %q", net, ov.Existing)
	}
	return err
}
