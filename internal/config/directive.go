package config

import (
	"strings"

	"github.com/straitproxy/strait/internal/ngxconf"
)

// ContextMask says where a directive may appear, like nginx's
// NGX_MAIN_CONF, NGX_STREAM_SRV_CONF and friends.
type ContextMask uint16

// Contexts.
const (
	CtxMain     ContextMask = 1 << iota // top level
	CtxEvents                           // events {}
	CtxStream                           // stream {}
	CtxServer                           // stream { server {} }
	CtxUpstream                         // stream { upstream {} }
	CtxAny      ContextMask = CtxMain | CtxEvents | CtxStream | CtxServer | CtxUpstream
)

// contextNames lists the contexts in documentation order.
var contextNames = []struct {
	c    ContextMask
	name string
}{
	{CtxMain, "main"}, {CtxEvents, "events"}, {CtxStream, "stream"},
	{CtxServer, "server"}, {CtxUpstream, "upstream"},
}

// String lists the contexts the way nginx's documentation does.
func (c ContextMask) String() string {
	if c == CtxAny {
		return "any"
	}
	var names []string
	for _, n := range contextNames {
		if c&n.c != 0 {
			names = append(names, n.name)
		}
	}
	return strings.Join(names, ", ")
}

// ArgSpec is the accepted argument count of a directive, as nginx's
// NGX_CONF_NOARGS, NGX_CONF_TAKE1..7, NGX_CONF_FLAG, NGX_CONF_1MORE,
// NGX_CONF_2MORE and NGX_CONF_BLOCK bits.
type ArgSpec uint16

// Argument specifications.
const (
	ArgNone  ArgSpec = 1 << iota // no arguments
	Arg1                         // exactly one
	Arg2                         // exactly two
	Arg3                         // exactly three
	Arg4                         // exactly four
	Arg5                         // exactly five
	Arg6                         // exactly six
	Arg7                         // exactly seven
	ArgFlag                      // on | off
	Arg1More                     // one or more
	Arg2More                     // two or more
	ArgBlock                     // followed by a { block }
	ArgAny                       // any number of arguments

	Arg12   = Arg1 | Arg2
	Arg13   = Arg1 | Arg3
	Arg23   = Arg2 | Arg3
	Arg123  = Arg1 | Arg2 | Arg3
	Arg1234 = Arg1 | Arg2 | Arg3 | Arg4
)

// maxArgs is nginx's NGX_CONF_MAX_ARGS.
const maxArgs = 8

// accepts reports whether n arguments fit the spec, following
// ngx_conf_handler.
func (a ArgSpec) accepts(n int) bool {
	switch {
	case a&ArgAny != 0:
		return true
	case a&ArgFlag != 0:
		return n == 1
	case a&Arg1More != 0:
		return n >= 1
	case a&Arg2More != 0:
		return n >= 2
	case n >= maxArgs:
		return false
	}
	return a&(ArgNone<<uint(n)) != 0
}

// Status says how far strait supports a directive.
type Status int

// Statuses.
const (
	// Supported directives are parsed, validated and acted upon.
	Supported Status = iota
	// Ignored directives are parsed and validated but change nothing in
	// strait (for example events tuning that only applies to nginx's
	// worker processes).
	Ignored
	// NotYet directives are known nginx directives that strait refuses
	// for now: `"X" directive is not supported yet`.
	NotYet
	// Refused directives will never be supported, with a reason.
	Refused
)

func (s Status) String() string {
	switch s {
	case Supported:
		return "supported"
	case Ignored:
		return "accepted, no effect"
	case NotYet:
		return "not yet"
	}
	return "refused"
}

// Directive is one entry of the directive table: a name in a set of
// contexts, with its arity, default, status and setter.
type Directive struct {
	Name     string
	Contexts ContextMask
	Args     ArgSpec
	Syntax   string // arguments as nginx documents them, e.g. "on | off"
	Default  string // "" when there is none
	Status   Status
	Module   string // nginx module that defines it, e.g. "ngx_stream_proxy_module"
	Doc      string // one line
	// Set applies one occurrence to the configuration being built.
	Set func(s *scope, d *ngxconf.Directive) error

	// multi marks directives that may repeat at one level (allow,
	// listen, access_log...); any other repeat is "is duplicate".
	multi bool
	// key groups directives that share one setting for inheritance and
	// duplicate checks (allow and deny share "access"); "" means Name.
	key string
	// inherit copies the setting from the stream level into a server
	// block that does not set it. nil: not inherited.
	inherit func(child, parent *Server)
}

func (d *Directive) settingKey() string {
	if d.key != "" {
		return d.key
	}
	return d.Name
}

// Directives returns the directive table, module by module.
func Directives() []Directive {
	var all []Directive
	for _, part := range [][]Directive{
		mainDirectives(), eventsDirectives(), coreDirectives(),
		proxyDirectives(), proxySSLDirectives(), upstreamDirectives(),
		sslDirectives(), logDirectives(), accessDirectives(),
		moduleDirectives(), otherDirectives(), commercialDirectives(), healthDirectives(),
	} {
		all = append(all, part...)
	}
	return all
}

// directiveIndex maps names to their table entries; a name may have
// several entries for different contexts (server in stream and upstream).
type directiveIndex map[string][]*Directive

func newDirectiveIndex(table []Directive) directiveIndex {
	idx := directiveIndex{}
	for i := range table {
		d := &table[i]
		idx[d.Name] = append(idx[d.Name], d)
	}
	return idx
}

// lookup finds the entry of name allowed in ctx; known reports whether the
// name exists in any context.
func (idx directiveIndex) lookup(name string, ctx ContextMask) (d *Directive, known bool) {
	for _, e := range idx[name] {
		if e.Contexts&ctx != 0 {
			return e, true
		}
	}
	return nil, len(idx[name]) > 0
}
