package server

import (
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"

	"github.com/straitproxy/strait/internal/accesslog"
	"github.com/straitproxy/strait/internal/config"
)

// This file evaluates the stream variables strait needs outside the access
// log: limit_conn_zone keys and map {} blocks (whose results the access log
// reads from Session.Vars).

// compiledMap is a map {} block.
type compiledMap struct {
	source   string
	variable string
	def      string
	exact    map[string]string
	regexes  []mapRegex
}

type mapRegex struct {
	re    *regexp.Regexp
	value string
}

func compileMaps(maps []*config.Map) ([]*compiledMap, error) {
	out := make([]*compiledMap, 0, len(maps))
	for _, m := range maps {
		cm := &compiledMap{source: m.Source, variable: strings.TrimPrefix(m.Variable, "$"), def: m.Default, exact: map[string]string{}}
		for _, e := range m.Entries {
			if !e.Regex {
				k := e.Match
				if m.Hostnames {
					k = strings.ToLower(k)
				}
				if _, dup := cm.exact[k]; !dup {
					cm.exact[k] = e.Value
				}
				continue
			}
			expr := e.Match
			if e.CaseInsensitive {
				expr = "(?i)" + expr
			}
			re, err := regexp.Compile(expr)
			if err != nil {
				return nil, fmt.Errorf("invalid regex %q in map: %w", e.Match, err)
			}
			cm.regexes = append(cm.regexes, mapRegex{re, e.Value})
		}
		out = append(out, cm)
	}
	return out, nil
}

// varEnv resolves variables for one session.
type varEnv struct {
	rec   *accesslog.Session
	maps  []*compiledMap
	depth int
}

// expand replaces $name and ${name} in s.
func (e *varEnv) expand(s string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != '$' {
			b.WriteByte(s[i])
			i++
			continue
		}
		i++
		brace := i < len(s) && s[i] == '{'
		if brace {
			i++
		}
		j := i
		for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
			j++
		}
		b.WriteString(e.get(s[i:j]))
		i = j
		if brace && i < len(s) && s[i] == '}' {
			i++
		}
	}
	return b.String()
}

// get returns one variable's value; unknown variables are empty.
func (e *varEnv) get(name string) string {
	r := e.rec
	switch strings.ToLower(name) {
	case "remote_addr":
		return addrHost(r.RemoteAddr)
	case "binary_remote_addr":
		if t, ok := r.RemoteAddr.(*net.TCPAddr); ok {
			a := t.AddrPort().Addr().Unmap()
			b, _ := a.MarshalBinary()
			return string(b)
		}
		return ""
	case "remote_port":
		return addrPortText(r.RemoteAddr)
	case "server_addr":
		return addrHost(r.ServerAddr)
	case "server_port":
		return addrPortText(r.ServerAddr)
	case "protocol":
		return r.Protocol
	case "proxy_protocol_addr":
		return r.ProxyProtocolAddr
	case "proxy_protocol_port":
		return r.ProxyProtocolPort
	case "status":
		if r.Status == 0 {
			return ""
		}
		return strconv.Itoa(r.Status)
	case "connection":
		return strconv.FormatUint(r.Connection, 10)
	case "hostname":
		return r.Hostname
	case "pid":
		return strconv.Itoa(r.PID)
	case "bytes_sent":
		return strconv.FormatInt(r.BytesSent, 10)
	case "bytes_received":
		return strconv.FormatInt(r.BytesReceived, 10)
	}
	for _, m := range e.maps {
		if m.variable == name {
			return e.evalMap(m)
		}
	}
	return ""
}

func (e *varEnv) evalMap(m *compiledMap) string {
	if e.depth > 8 { // maps referring to each other in a loop
		return ""
	}
	e.depth++
	defer func() { e.depth-- }()
	src := e.expand(m.source)
	if v, ok := m.exact[src]; ok {
		return e.expand(v)
	}
	if v, ok := m.exact[strings.ToLower(src)]; ok {
		return e.expand(v)
	}
	for _, r := range m.regexes {
		if r.re.MatchString(src) {
			return e.expand(r.value)
		}
	}
	return e.expand(m.def)
}

// fillMaps stores every map variable in rec.Vars for the access log.
func fillMaps(rec *accesslog.Session, maps []*compiledMap) {
	if len(maps) == 0 {
		return
	}
	e := &varEnv{rec: rec, maps: maps}
	rec.Vars = make(map[string]string, len(maps))
	for _, m := range maps {
		rec.Vars[m.variable] = e.evalMap(m)
	}
}

func addrHost(a net.Addr) string {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.AddrPort().Addr().Unmap().String()
	case *net.UnixAddr:
		return "unix:" + a.Name
	}
	return ""
}

func addrPortText(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok {
		return strconv.Itoa(t.Port)
	}
	return ""
}

// clientText is nginx's "client 127.0.0.1:5000" text (with the port).
func clientText(a net.Addr) string {
	if t, ok := a.(*net.TCPAddr); ok {
		ap := t.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()).String()
	}
	return "unix:"
}
