package config

import (
	"net/netip"

	"github.com/straitproxy/strait/internal/geo"
	"github.com/straitproxy/strait/internal/ngxconf"
)

// SetVar is one set directive: a variable given a value in the
// pre-access phase of every session of its server block.
type SetVar struct {
	Variable string // without "$"
	Value    string // an expression
	Pos      ngxconf.Pos
}

// Return is the return directive: the server answers with the value and
// closes instead of proxying.
type Return struct {
	Value string // an expression
	Pos   ngxconf.Pos
}

// RealIPFrom is one set_real_ip_from: clients whose PROXY protocol header
// is trusted to name the real client.
type RealIPFrom struct {
	Unix   bool         // "unix:": every unix socket client
	Prefix netip.Prefix // otherwise: an address or network
}

// Geo is a geo {} block: a variable whose value depends on an address.
type Geo struct {
	// Source names the variable holding the address to look up, without
	// "$"; "" means the client address.
	Source   string
	Variable string // without "$"
	Volatile bool   // computed on every use, never cached
	// Table holds the networks or ranges with their values, built as
	// nginx builds them while the block was read.
	Table *geo.Table
	Pos   ngxconf.Pos
}

// SplitClients is a split_clients {} block: a variable chosen by a
// MurmurHash2 of an expression, for A/B tests.
type SplitClients struct {
	Source   string // an expression
	Variable string // without "$"
	Parts    []SplitPart
	Pos      ngxconf.Pos
}

// SplitPart is one "percent value" line.
type SplitPart struct {
	// Percent is in hundredths of a percent ("0.5%" is 50), as nginx's
	// ngx_atofp(..., 2) reads it, truncated to 32 bits as nginx stores
	// it; 0 is "*", the rest.
	Percent uint32
	Value   string // plain text, not an expression
}
