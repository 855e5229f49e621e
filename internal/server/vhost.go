package server

import (
	"strings"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/proxy"
	"github.com/straitproxy/strait/internal/vars"
)

// join adds blk, listening with l, to the address.
func (b *binding) join(blk *block, l config.Listen) {
	if len(b.servers) > 0 && l.DefaultServer {
		b.block = blk
	}
	b.servers = append(b.servers, blk)
	b.ssl = b.ssl || l.SSL
	b.proxyProtocol = b.proxyProtocol || l.ProxyProtocol
}

// buildNames makes the address's name table, as ngx_stream_optimize_servers
// does: when several blocks share it, or when its default block has a
// regex name (whose captures a session may read).
func (b *binding) buildNames(reg *vars.Registry) error {
	regex := false
	for _, sn := range b.block.cfg.ServerNames {
		regex = regex || sn.Regex
	}
	if len(b.servers) < 2 && !regex {
		return nil
	}
	t := &vars.ServerNames{}
	for i, blk := range b.servers {
		for j, sn := range blk.cfg.ServerNames {
			t.Add(sn, reg.ServerNameRegex(blk.cfg, j), i)
		}
		if len(blk.cfg.ServerNames) == 0 {
			t.Add(config.ServerName{}, nil, i) // nginx's `""`
		}
	}
	b.names = t
	return nil
}

// findServer returns the block serving name on the address, nil when
// none has it (the session stays with its block). name is an SNI as
// sent; it is checked and lower-cased as ngx_stream_validate_host does.
func (b *binding) findServer(rec *vars.Session, name string) *block {
	if b == nil || b.names == nil {
		return nil
	}
	host, ok := validateHost(name)
	if !ok {
		return nil
	}
	i, found := b.names.Find(rec, host)
	if !found {
		return nil
	}
	return b.servers[i]
}

// validateHost follows ngx_stream_validate_host: a name with an empty
// label, a path separator or a control character is refused; a port is
// cut; the trailing dot is dropped; the rest lower-cased.
func validateHost(h string) (string, bool) {
	dot := -2
	hostLen := len(h)
	const (
		usual = iota
		literal
		rest
	)
	state := usual
	for i := 0; i < len(h); i++ {
		switch ch := h[i]; ch {
		case '.':
			if dot == i-1 {
				return "", false
			}
			dot = i
		case ':':
			if state == usual {
				hostLen, state = i, rest
			}
		case '[':
			if i == 0 {
				state = literal
			}
		case ']':
			if state == literal {
				hostLen, state = i+1, rest
			}
		default:
			if ch == '/' || ch <= 0x20 || ch == 0x7f {
				return "", false
			}
		}
	}
	if dot == hostLen-1 {
		hostLen--
	}
	if hostLen <= 0 {
		return "", false
	}
	return strings.ToLower(h[:hostLen]), true
}

// switchServer makes blk serve the rest of the session, as nginx sets
// s->srv_conf and the connection's error log when it finds a server by
// name.
func (s *Server) switchServer(ps *proxy.Session, blk *block, conn uint64) {
	ps.Log = blk.log.With("conn", conn)
	ps.Record.ServerName = blk.cfg.ServerName
}
