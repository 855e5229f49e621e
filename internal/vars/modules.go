package vars

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/geo"
	"github.com/straitproxy/strait/internal/ngxaddr"
)

// BuildStream returns the registry of a stream {} block: the built-in
// variables, and the variables of its map, geo and split_clients blocks
// and set directives. Errors use nginx's words and end with " in
// FILE:LINE".
func BuildStream(st *config.Stream, opts Options) (*Registry, error) {
	b, err := NewBuilder(Builtins(opts)...)
	if err != nil {
		return nil, err
	}
	// Every block's variable is declared before any expression is
	// compiled: nginx resolves names once the whole configuration is
	// read, so blocks may read each other in any order.
	geos := make([]*geoVar, len(st.Geos))
	for i, g := range st.Geos {
		gv := &geoVar{table: g.Table}
		geos[i] = gv
		flags := Changeable
		if g.Volatile {
			flags |= NoCache
		}
		if _, err := b.Define(Definition{Name: g.Variable, Flags: flags, Eval: gv.eval, Doc: "geo block"}); err != nil {
			return nil, at(g.Pos, err)
		}
	}
	splits := make([]*splitVar, len(st.SplitClients))
	for i, sc := range st.SplitClients {
		sv := newSplitVar(sc)
		splits[i] = sv
		if _, err := b.Define(Definition{Name: sc.Variable, Flags: Changeable, Eval: sv.eval, Doc: "split_clients block"}); err != nil {
			return nil, at(sc.Pos, err)
		}
	}
	if err := b.DefineMaps(st.Maps); err != nil {
		return nil, err
	}
	if err := b.defineSets(st.Servers); err != nil {
		return nil, err
	}
	nameRegexes, err := b.defineServerNames(st.Servers)
	if err != nil {
		return nil, err
	}
	for i, g := range st.Geos {
		if g.Source == "" {
			continue
		}
		if geos[i].source, err = b.Lookup(g.Source); err != nil {
			return nil, at(g.Pos, err)
		}
	}
	for i, sc := range st.SplitClients {
		if splits[i].source, err = b.Compile(sc.Source); err != nil {
			return nil, at(sc.Pos, err)
		}
	}
	reg := b.Build()
	reg.nameRegexes = nameRegexes
	return reg, nil
}

// defineSets declares the variables of set directives. Like
// ngx_stream_set, a name another module defines (a map, geo,
// split_clients) keeps that definition, which set overrides per session;
// a new name reads as empty in sessions whose server has no set for it;
// a built-in name is nginx's "the duplicate variable".
func (b *Builder) defineSets(servers []*config.Server) error {
	for _, srv := range servers {
		for _, sv := range srv.Sets {
			v, err := b.Lookup(sv.Variable)
			if err == nil {
				if v.flags&Changeable == 0 || v.flags&Prefix != 0 || v.slot < 0 {
					return at(sv.Pos, fmt.Errorf("the duplicate %q variable", sv.Variable))
				}
				continue
			}
			if _, err := b.Define(Definition{Name: sv.Variable, Flags: Changeable, Eval: emptyValue,
				Doc: "set by the set directive"}); err != nil {
				return at(sv.Pos, err)
			}
		}
	}
	return nil
}

// emptyValue is ngx_stream_set_var: a set variable that no set directive
// of the session's server gave a value is empty (found).
func emptyValue(_ *Session, buf []byte) (string, bool, []byte) { return "", true, buf }

// Set gives v the value val for the rest of the session, as the set
// directive does. It does nothing to variables that are not Changeable
// (the configuration refuses set for them).
func (v *Variable) Set(s *Session, val string) { v.set(s, val) }

// geoVar is one compiled geo block.
type geoVar struct {
	table  *geo.Table
	source *Variable // nil: the client address
}

// eval follows ngx_stream_geo_addr: the client address, or the source
// variable's value read as an address; a unix client, a source not found
// or not an address is looked up as 255.255.255.255.
func (g *geoVar) eval(s *Session, buf []byte) (string, bool, []byte) {
	var a netip.Addr
	ok := false
	if g.source == nil {
		if t, isTCP := s.RemoteAddr.(*net.TCPAddr); isTCP && t != nil {
			a, ok = netip.AddrFromSlice(t.IP)
		}
	} else {
		start := len(buf)
		var found bool
		buf, found = g.source.Append(buf, s)
		if found {
			a, ok = ngxaddr.ParseAddr(string(buf[start:]))
		}
		buf = buf[:start]
	}
	return g.table.Lookup(a, ok), true, buf
}

// splitVar is one compiled split_clients block.
type splitVar struct {
	source *Expr
	// bounds[i] is the cumulative upper bound of part i as nginx
	// computes it; 0 marks "*".
	bounds []uint32
	values []string
}

// newSplitVar computes the buckets as ngx_conf_split_clients_block does:
// each percent (in hundredths) scaled to 0xffffffff, accumulated in 32
// bits.
func newSplitVar(sc *config.SplitClients) *splitVar {
	sv := &splitVar{}
	var last uint32
	for _, p := range sc.Parts {
		bound := uint32(0)
		if p.Percent != 0 {
			last += uint32(uint64(p.Percent) * 0xffffffff / 10000)
			bound = last
		}
		sv.bounds = append(sv.bounds, bound)
		sv.values = append(sv.values, p.Value)
	}
	return sv
}

// eval is ngx_stream_split_clients_variable: the first part whose bound
// exceeds the hash, or "*"; none found is the empty value.
func (sv *splitVar) eval(s *Session, buf []byte) (string, bool, []byte) {
	start := len(buf)
	buf = sv.source.Append(buf, s)
	h := murmurHash2(buf[start:])
	buf = buf[:start]
	for i, b := range sv.bounds {
		if h < b || b == 0 {
			return sv.values[i], true, buf
		}
	}
	return "", true, buf
}
