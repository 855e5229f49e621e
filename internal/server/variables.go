package server

import (
	"cmp"
	"slices"
	"time"

	"github.com/straitproxy/strait/internal/accesslog"
	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/ngxconf"
	"github.com/straitproxy/strait/internal/vars"
)

// streamVars is one snapshot's variable registry and every expression
// the server evaluates: log formats, access_log if= conditions and
// limit_conn_zone keys, each compiled once through internal/vars.
type streamVars struct {
	reg     *vars.Registry
	formats map[string]*accesslog.Format    // by log_format name
	conds   map[string]*accesslog.Condition // by if= text
	paths   map[string]*vars.Expr           // access_log paths with variables, by text
	keys    map[string]*vars.Expr           // limit_conn_zone keys by zone name
	sets    map[*config.Server][]setStep    // set directives by server block
	returns map[*config.Server]*vars.Expr   // return values by server block
	passes  map[*config.Server]*vars.Expr   // proxy_pass with variables by server block
	// handoffs are the pass directives with variables by server block.
	handoffs map[*config.Server]*vars.Expr
	// hashKeys are the keys of upstreams balanced by hash, by name.
	hashKeys map[string]*vars.Expr
	proxies  map[*config.Server]proxyExprs // proxy_* values with variables by server block
}

// proxyExprs are a block's proxy_upload_rate, proxy_download_rate,
// proxy_bind, proxy_ssl_name and proxy_ssl_certificate (with its key)
// when they contain variables; nil when constant.
type proxyExprs struct {
	upload, download, bind *vars.Expr
	sslName                *vars.Expr
	sslCert, sslKey        *vars.Expr
}

// setStep is one compiled set directive.
type setStep struct {
	v     *vars.Variable
	value *vars.Expr
}

// CheckVariables compiles every variable expression of cfg, so that
// strait -t reports an unknown variable as part of the syntax check, as
// nginx does.
func CheckVariables(cfg *config.Config) error {
	if cfg.Stream == nil {
		return nil
	}
	_, err := compileVariables(cfg.Stream, vars.Options{})
	return err
}

// compileVariables builds the registry (maps included) and compiles the
// expressions in configuration order, so that the first unknown name
// reported is the first one written. Errors end with " in FILE:LINE".
func compileVariables(st *config.Stream, opts vars.Options) (*streamVars, error) {
	reg, err := vars.BuildStream(st, opts)
	if err != nil {
		return nil, err
	}
	sv := &streamVars{
		reg:     reg,
		formats: make(map[string]*accesslog.Format, len(st.LogFormats)),
		conds:   map[string]*accesslog.Condition{},
		paths:   map[string]*vars.Expr{},
		keys:    make(map[string]*vars.Expr, len(st.LimitConnZones)),
		sets:    map[*config.Server][]setStep{},
		returns: map[*config.Server]*vars.Expr{},
		passes:  map[*config.Server]*vars.Expr{},

		handoffs: map[*config.Server]*vars.Expr{},

		hashKeys: map[string]*vars.Expr{},
		proxies:  map[*config.Server]proxyExprs{},
	}
	type compileStep struct {
		file string
		line int
		run  func() error
	}
	var steps []compileStep
	for name, lf := range st.LogFormats {
		steps = append(steps, compileStep{lf.Pos.File, lf.Pos.Line, func() error {
			f, err := accesslog.Compile(reg, lf.Format, lf.Escape)
			sv.formats[name] = f
			return placed(lf.Pos, err)
		}})
	}
	for name, z := range st.LimitConnZones {
		steps = append(steps, compileStep{z.Pos.File, z.Pos.Line, func() error {
			e, err := reg.CompileAt(z.Key, z.Pos)
			sv.keys[name] = e
			return err
		}})
	}
	for _, u := range st.Upstreams {
		if b := u.Balance; b.Method == "hash" {
			steps = append(steps, compileStep{b.KeyPos.File, b.KeyPos.Line, func() error {
				e, err := reg.CompileAt(b.Key, b.KeyPos)
				sv.hashKeys[u.Name] = e
				return err
			}})
		}
	}
	for _, srv := range st.Servers {
		if len(srv.Sets) > 0 {
			// One step for all of a block's set directives, so they
			// keep their order even across included files.
			first := srv.Sets[0].Pos
			steps = append(steps, compileStep{first.File, first.Line, func() error {
				for _, set := range srv.Sets {
					v, err := reg.Lookup(set.Variable)
					if err != nil {
						return placed(set.Pos, err)
					}
					e, err := reg.CompileAt(set.Value, set.Pos)
					if err != nil {
						return err
					}
					sv.sets[srv] = append(sv.sets[srv], setStep{v: v, value: e})
				}
				return nil
			}})
		}
		for _, r := range []struct {
			text string
			pos  ngxconf.Pos
			set  func(proxyExprs, *vars.Expr) proxyExprs
		}{
			{srv.Proxy.UploadRateVar, srv.Proxy.UploadRatePos, func(r proxyExprs, e *vars.Expr) proxyExprs { r.upload = e; return r }},
			{srv.Proxy.DownloadRateVar, srv.Proxy.DownloadRatePos, func(r proxyExprs, e *vars.Expr) proxyExprs { r.download = e; return r }},
			{srv.Proxy.BindVar, srv.Proxy.BindPos, func(r proxyExprs, e *vars.Expr) proxyExprs { r.bind = e; return r }},
			{sslNameVar(srv), srv.SSL.NamePos, func(r proxyExprs, e *vars.Expr) proxyExprs { r.sslName = e; return r }},
			{srv.SSL.CertificateVar, srv.SSL.CertificatePos, func(r proxyExprs, e *vars.Expr) proxyExprs { r.sslCert = e; return r }},
			{srv.SSL.KeyVar, srv.SSL.KeyPos, func(r proxyExprs, e *vars.Expr) proxyExprs { r.sslKey = e; return r }},
		} {
			if r.text == "" {
				continue
			}
			steps = append(steps, compileStep{r.pos.File, r.pos.Line, func() error {
				e, err := reg.CompileAt(r.text, r.pos)
				sv.proxies[srv] = r.set(sv.proxies[srv], e)
				return err
			}})
		}
		if r := srv.Return; r != nil {
			steps = append(steps, compileStep{r.Pos.File, r.Pos.Line, func() error {
				e, err := reg.CompileAt(r.Value, r.Pos)
				sv.returns[srv] = e
				return err
			}})
		}
		if p := srv.ProxyPass; p.Value != "" {
			steps = append(steps, compileStep{p.Pos.File, p.Pos.Line, func() error {
				e, err := reg.CompileAt(p.Value, p.Pos)
				sv.passes[srv] = e
				return err
			}})
		}
		if p := srv.Pass; p != nil && p.Value != "" {
			steps = append(steps, compileStep{p.Pos.File, p.Pos.Line, func() error {
				e, err := reg.CompileAt(p.Value, p.Pos)
				sv.handoffs[srv] = e
				return err
			}})
		}
		for _, al := range srv.AccessLogs {
			if al.PathHasVariables {
				// Before if=, in the order ngx_stream_log_set_log
				// compiles them.
				steps = append(steps, compileStep{al.Pos.File, al.Pos.Line, func() error {
					e, err := reg.CompileAt(al.Path, al.Pos)
					sv.paths[al.Path] = e
					return err
				}})
			}
			if al.If == "" {
				continue
			}
			steps = append(steps, compileStep{al.Pos.File, al.Pos.Line, func() error {
				c, err := accesslog.CompileCondition(reg, al.If)
				sv.conds[al.If] = c
				return placed(al.Pos, err)
			}})
		}
	}
	slices.SortStableFunc(steps, func(a, b compileStep) int {
		return cmp.Or(cmp.Compare(a.file, b.file), cmp.Compare(a.line, b.line))
	})
	for _, s := range steps {
		if err := s.run(); err != nil {
			return nil, err
		}
	}
	return sv, nil
}

// sslNameVar is proxy_ssl_name when it has variables, "" otherwise.
func sslNameVar(srv *config.Server) string {
	if srv.SSL.NameHasVariables() {
		return srv.SSL.Name
	}
	return ""
}

func placed(pos ngxconf.Pos, err error) error {
	if err == nil {
		return nil
	}
	return vars.At(pos, err)
}

// varOptions are the process facts the built-in variables show.
func (srv *Server) varOptions() vars.Options {
	return vars.Options{Now: func() time.Time { return srv.now() }, Version: srv.opts.Version}
}
