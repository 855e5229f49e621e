package config

import (
	"os"
	"regexp"
	"strings"

	"github.com/straitproxy/strait/internal/ngxconf"
)

// ServerName is one name of a server_name directive
// (ngx_stream_core_server_name).
type ServerName struct {
	// Name is lower-cased: "example.com", "*.example.com",
	// ".example.com", "www.example.*" or "". For a regex it is the
	// pattern without its "~", as written.
	Name  string
	Regex bool `json:",omitempty"`
	// CaseInsensitive: nginx compiles a regex caseless when the pattern
	// has an upper-case letter (the names it is matched against are
	// lower-cased).
	CaseInsensitive bool `json:",omitempty"`
	Pos             ngxconf.Pos
}

// setServerName reads `server_name name ...;` like
// ngx_stream_core_server_name.
func setServerName(s *scope, d *ngxconf.Directive) error {
	srv := s.lvl.srv
	for _, a := range d.Args {
		v := a.Value
		if (strings.HasPrefix(v, "*") && (len(v) < 3 || v[1] != '.')) || (strings.HasPrefix(v, ".") && len(v) < 2) {
			return errorf(d, "server name %q is invalid", v)
		}
		if strings.Contains(v, "/") {
			s.l.warn(stmtPos(d), "server name %q has suspicious symbols", v)
		}
		sn := ServerName{Name: v, Pos: stmtPos(d)}
		if strings.EqualFold(v, "$hostname") {
			// nginx substitutes the machine's name, read at load.
			if h, err := os.Hostname(); err == nil {
				sn.Name = h
			}
		}
		rest, isRegex := strings.CutPrefix(v, "~")
		if !isRegex {
			sn.Name = strings.ToLower(sn.Name)
			srv.ServerNames = append(srv.ServerNames, sn)
			continue
		}
		if rest == "" {
			return errorf(d, "empty regex in server name %q", v)
		}
		sn.Name, sn.Regex = rest, true
		sn.CaseInsensitive = strings.ToLower(rest) != rest
		expr := rest
		if sn.CaseInsensitive {
			expr = "(?i)" + expr
		}
		if _, err := regexp.Compile(expr); err != nil {
			return errorf(d, "invalid regular expression %q: %v", rest, regexpReason(err))
		}
		srv.ServerNames = append(srv.ServerNames, sn)
	}
	return nil
}

// names are a block's server names: nginx gives a block without
// server_name the name `""`.
func (srv *Server) names() []ServerName {
	if len(srv.ServerNames) == 0 {
		return []ServerName{{Name: "", Pos: srv.Pos}}
	}
	return srv.ServerNames
}

// finishServerName sets $server_name: the first name, without the
// leading dot of ".example.com", a regex with its "~"; "" without
// server_name.
func finishServerName(srv *Server) {
	if len(srv.ServerNames) == 0 {
		return
	}
	first := srv.ServerNames[0]
	switch {
	case first.Regex:
		srv.ServerName = "~" + first.Name
	default:
		srv.ServerName = strings.TrimPrefix(first.Name, ".")
	}
}

// addressUse is what the listens on one address have declared so far,
// for nginx's checks of servers sharing an address
// (ngx_stream_add_addresses).
type addressUse struct {
	text          string // addr_text of the first listen
	servers       []*Server
	hasDefault    bool
	hasOptions    bool // a listen with socket options (nginx's lsopt.set)
	firstListenAt ngxconf.Pos
}

// addListenUse records srv listening on key, refusing what nginx 1.25.5
// refuses: the same server twice on one address, two listens with socket
// options, two default servers.
func (st *streamState) addListenUse(d *ngxconf.Directive, srv *Server, key, text string, ls Listen) error {
	u := st.listens[key]
	if u == nil {
		u = &addressUse{text: text, firstListenAt: ls.Pos}
		st.listens[key] = u
		st.listenOrder = append(st.listenOrder, key)
	} else {
		for _, s := range u.servers {
			if s == srv {
				return errorf(d, "a duplicate listen %s", u.text)
			}
		}
		if ls.Bind && u.hasOptions {
			return errorf(d, "duplicate listen options for %s", u.text)
		}
		if ls.DefaultServer && u.hasDefault {
			return errorf(d, "a duplicate default server for %s", u.text)
		}
	}
	u.servers = append(u.servers, srv)
	u.hasOptions = u.hasOptions || ls.Bind
	u.hasDefault = u.hasDefault || ls.DefaultServer
	return nil
}

// checkServerNames runs ngx_stream_server_names for every address that
// several servers share: a wildcard nginx's hash refuses is an error, a
// name an earlier server on the address already has is ignored with a
// warning (so is `""`, the name of every block without server_name).
func (st *streamState) checkServerNames(l *loader) error {
	for _, key := range st.listenOrder {
		u := st.listens[key]
		if len(u.servers) < 2 {
			continue
		}
		keys := newMapKeys()
		for _, srv := range u.servers {
			for _, sn := range srv.names() {
				if sn.Regex {
					continue
				}
				wild, err := isWildcard(sn.Name)
				if err != nil {
					return errorAt(sn.Pos, "invalid server name or wildcard %q on %s", sn.Name, u.text)
				}
				if keys.conflicts(sn.Name, wild) {
					l.warn(sn.Pos, "conflicting server name %q on %s, ignored", sn.Name, u.text)
				}
			}
		}
	}
	return nil
}
