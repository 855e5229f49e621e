package config

import (
	"time"

	"github.com/straitproxy/strait/internal/ngxconf"
)

// The constructors below build table entries for the common nginx slot
// types (ngx_conf_set_flag_slot, _msec_slot, _size_slot, _num_slot,
// _str_slot) of settings that servers inherit from the stream level. One
// field accessor serves both the setter and the inheritance.

const streamSrv = CtxStream | CtxServer

func flagArg(d *ngxconf.Directive) (bool, error) {
	v, ok := parseFlag(d.Args[0].Value)
	if !ok {
		return false, errorf(d, "invalid value %q in %q directive, it must be \"on\" or \"off\"", d.Args[0].Value, d.Name)
	}
	return v, nil
}

func msecArg(d *ngxconf.Directive) (time.Duration, error) {
	v, err := parseMsec(d.Args[0].Value)
	if err != nil {
		return 0, errorf(d, "%q directive invalid value", d.Name)
	}
	return v, nil
}

func sizeArg(d *ngxconf.Directive) (int, error) {
	v, err := parseSize(d.Args[0].Value)
	if err != nil {
		return 0, errorf(d, "%q directive invalid value", d.Name)
	}
	return v, nil
}

func numArg(d *ngxconf.Directive) (int, error) {
	v, err := parseNumber(d.Args[0].Value)
	if err != nil {
		return 0, errorf(d, "%q directive invalid number", d.Name)
	}
	return v, nil
}

// srvFlag is an inherited on|off setting.
func srvFlag(name, def, module, doc string, field func(*Server) *bool) Directive {
	return Directive{
		Name: name, Contexts: streamSrv, Args: ArgFlag, Syntax: "on | off",
		Default: def, Module: module, Doc: doc,
		Set: func(s *scope, d *ngxconf.Directive) error {
			v, err := flagArg(d)
			*field(s.lvl.srv) = v
			return err
		},
		inherit: func(c, p *Server) { *field(c) = *field(p) },
	}
}

// srvMsec is an inherited time setting with millisecond resolution.
func srvMsec(name, def, module, doc string, field func(*Server) *time.Duration) Directive {
	return Directive{
		Name: name, Contexts: streamSrv, Args: Arg1, Syntax: "time",
		Default: def, Module: module, Doc: doc,
		Set: func(s *scope, d *ngxconf.Directive) error {
			v, err := msecArg(d)
			*field(s.lvl.srv) = v
			return err
		},
		inherit: func(c, p *Server) { *field(c) = *field(p) },
	}
}

// srvSize is an inherited size setting (16k, 1m).
func srvSize(name, syntax, def, module, doc string, field func(*Server) *int) Directive {
	return Directive{
		Name: name, Contexts: streamSrv, Args: Arg1, Syntax: syntax,
		Default: def, Module: module, Doc: doc,
		Set: func(s *scope, d *ngxconf.Directive) error {
			v, err := sizeArg(d)
			*field(s.lvl.srv) = v
			return err
		},
		inherit: func(c, p *Server) { *field(c) = *field(p) },
	}
}

// srvNum is an inherited number setting.
func srvNum(name, def, module, doc string, field func(*Server) *int) Directive {
	return Directive{
		Name: name, Contexts: streamSrv, Args: Arg1, Syntax: "number",
		Default: def, Module: module, Doc: doc,
		Set: func(s *scope, d *ngxconf.Directive) error {
			v, err := numArg(d)
			*field(s.lvl.srv) = v
			return err
		},
		inherit: func(c, p *Server) { *field(c) = *field(p) },
	}
}

// srvStr is an inherited string setting taken as written.
func srvStr(name, syntax, def, module, doc string, field func(*Server) *string) Directive {
	return Directive{
		Name: name, Contexts: streamSrv, Args: Arg1, Syntax: syntax,
		Default: def, Module: module, Doc: doc,
		Set: func(s *scope, d *ngxconf.Directive) error {
			*field(s.lvl.srv) = d.Args[0].Value
			return nil
		},
		inherit: func(c, p *Server) { *field(c) = *field(p) },
	}
}

// srvFile is an inherited file name, resolved against the configuration
// file's directory, with the position it was set at.
func srvFile(name, module, doc string, field func(*Server) (*string, *ngxconf.Pos)) Directive {
	return Directive{
		Name: name, Contexts: streamSrv, Args: Arg1, Syntax: "file",
		Module: module, Doc: doc,
		Set: func(s *scope, d *ngxconf.Directive) error {
			path, pos := field(s.lvl.srv)
			*path, *pos = s.l.confPath(d.Args[0].Value), stmtPos(d)
			return nil
		},
		inherit: func(c, p *Server) {
			cp, cpos := field(c)
			pp, ppos := field(p)
			*cp, *cpos = *pp, *ppos
		},
	}
}

// notYet is a known nginx directive strait refuses for now.
func notYet(name string, ctx ContextMask, args ArgSpec, syntax, def, module, doc string) Directive {
	return Directive{
		Name: name, Contexts: ctx, Args: args, Syntax: syntax, Default: def,
		Status: NotYet, Module: module, Doc: doc, multi: true,
	}
}

// ignored is a directive strait accepts and validates by arity only.
func ignored(name string, ctx ContextMask, args ArgSpec, syntax, def, module, doc string) Directive {
	return Directive{
		Name: name, Contexts: ctx, Args: args, Syntax: syntax, Default: def,
		Status: Ignored, Module: module, Doc: doc,
	}
}
