package config

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/straitproxy/strait/internal/ngxconf"
)

// DefaultFile is the configuration file read when LoadOptions.File is "".
const DefaultFile = "/etc/strait/strait.conf"

// LoadOptions say what to load and how to reach the outside world.
type LoadOptions struct {
	// File is the main configuration file (-c), absolute or relative to
	// Prefix; DefaultFile when empty.
	File string
	// Prefix (-p) is where relative log and pid paths resolve; the
	// directory of File when empty.
	Prefix string
	// Globals (-g) are main-context directives, "a b; c d;".
	Globals string
	// ReadFile reads configuration, include and key files; os.ReadFile
	// when nil.
	ReadFile func(string) ([]byte, error)
	// Resolve looks up the addresses of a host name in upstream servers,
	// proxy_pass and listen; nil uses the resolver directive's servers or
	// else the system resolver.
	Resolve func(host string) ([]string, error)
}

// Load reads, parses and validates the whole configuration. Errors use
// nginx's wording and end with " in FILE:LINE".
func Load(opts LoadOptions) (*Config, error) {
	file := opts.File
	if file == "" {
		file = DefaultFile
	}
	if !filepath.IsAbs(file) && opts.Prefix != "" {
		file = filepath.Join(opts.Prefix, file)
	}
	if abs, err := filepath.Abs(file); err == nil {
		file = abs
	}
	res, err := ngxconf.ParseFile(file, ngxconf.Options{ReadFile: opts.ReadFile})
	if err != nil {
		return nil, err
	}
	return Parse(res, file, opts)
}

// Parse validates an already parsed configuration whose main file is file
// (absolute), and builds the typed Config.
func Parse(res *ngxconf.Result, file string, opts LoadOptions) (*Config, error) {
	l := newLoader(file, opts)
	l.cfg.Sources = res.Sources
	if opts.Globals != "" {
		g, err := ngxconf.ParseString(ngxconf.CommandLine, opts.Globals, ngxconf.Options{Dir: l.confDir, ReadFile: l.readFile})
		if err != nil {
			return nil, err
		}
		// nginx applies -g directives before the file's own, so a
		// directive given in both places is "duplicate" in the file.
		res = &ngxconf.Result{Directives: append(append([]*ngxconf.Directive{}, g.Directives...), res.Directives...)}
	}
	top := &scope{l: l, ctx: CtxMain, lvl: newLevel(nil)}
	if err := l.walk(top, res.Directives); err != nil {
		return nil, err
	}
	if err := l.finish(); err != nil {
		return nil, err
	}
	return l.cfg, nil
}

// loader holds the state of one Parse.
type loader struct {
	opts    LoadOptions
	table   []Directive
	idx     directiveIndex
	cfg     *Config
	confDir string // relative certificate, key and include paths
	prefix  string // relative log and pid paths
	main    *level
	events  *level
	stream  *streamState
	// logBuffers holds the first buffered access_log of each file, so a
	// second one with other buffer, flush or gzip values fails as in nginx.
	logBuffers map[string]AccessLog
	// sslZones are the shared ssl_session_cache zones by name and size.
	sslZones map[string]int
}

// level is one configuration level with the settings it set, for
// duplicate checks and inheritance.
type level struct {
	srv *Server // stream or server settings; nil in main, events, upstream
	set map[string]ngxconf.Pos
}

func newLevel(srv *Server) *level { return &level{srv: srv, set: map[string]ngxconf.Pos{}} }

// scope is where a directive is being applied.
type scope struct {
	l   *loader
	ctx ContextMask
	lvl *level
	ups *Upstream // inside upstream {}
	// defaults is set while the table's defaults are applied.
	defaults bool
}

func newLoader(file string, opts LoadOptions) *loader {
	if opts.ReadFile == nil {
		opts.ReadFile = os.ReadFile
	}
	table := Directives()
	l := &loader{
		opts:    opts,
		table:   table,
		idx:     newDirectiveIndex(table),
		confDir: filepath.Dir(file),
		prefix:  opts.Prefix,
	}
	if l.prefix == "" {
		l.prefix = l.confDir
	}
	l.cfg = &Config{
		File:   file,
		Prefix: l.prefix,
		Main: Main{
			Daemon:            true,
			WorkerProcesses:   0, // auto: strait uses every CPU unless told otherwise
			WorkerConnections: 512,
			PIDFile:           filepath.Join(l.prefix, "strait.pid"),
		},
	}
	return l
}

func (l *loader) readFile(path string) ([]byte, error) { return l.opts.ReadFile(path) }

// walk applies directives in a context.
func (l *loader) walk(s *scope, ds []*ngxconf.Directive) error {
	if s.ctx == CtxMain {
		l.main = s.lvl
	}
	for _, d := range ds {
		if err := l.apply(s, d); err != nil {
			return err
		}
	}
	return nil
}

// apply checks one directive against the table in the order nginx's
// ngx_conf_handler does (context, block, arguments) and runs its setter.
func (l *loader) apply(s *scope, d *ngxconf.Directive) error {
	e, known := l.idx.lookup(d.Name, s.ctx)
	switch {
	case e == nil && known:
		return errorf(d, "%q directive is not allowed here", d.Name)
	case e == nil:
		return l.unknown(d)
	case e.Args&ArgBlock != 0 && !d.HasBlock:
		return errorf(d, "directive %q has no opening \"{\"", d.Name)
	case e.Args&ArgBlock == 0 && d.HasBlock:
		return errorf(d, "directive %q is not terminated by \";\"", d.Name)
	case !e.Args.accepts(len(d.Args)):
		return errorf(d, "invalid number of arguments in %q directive", d.Name)
	case e.Status == NotYet:
		return errorf(d, "%q directive is not supported yet", d.Name)
	}
	key := e.settingKey()
	if _, dup := s.lvl.set[key]; dup && !e.multi {
		return errorf(d, "%q directive is duplicate", d.Name)
	}
	s.lvl.set[key] = stmtPos(d)
	if e.Status == Ignored {
		// Accepted so that an nginx configuration runs unchanged, but
		// never silently: -t and the start-up log say it does nothing.
		l.warn(stmtPos(d), "%q directive has no effect in strait: %s", d.Name, strings.TrimSuffix(e.Doc, "."))
	}
	if e.Set == nil {
		return nil
	}
	return e.Set(s, d)
}

// unknown reports an unknown directive, with a hint for near misses.
func (l *loader) unknown(d *ngxconf.Directive) error {
	if near := l.idx.nearest(d.Name); near != "" {
		return &ngxconf.Error{Pos: stmtPos(d), Msg: fmt.Sprintf("unknown directive %q", d.Name), Hint: fmt.Sprintf("did you mean %q?", near)}
	}
	return errorf(d, "unknown directive %q", d.Name)
}

// stmtPos is where nginx reports errors about a directive: the line of
// its terminating ";" or, for a block, of its last token before "{".
func stmtPos(d *ngxconf.Directive) ngxconf.Pos {
	if !d.HasBlock && d.EndPos.Line > 0 {
		return d.EndPos
	}
	if n := len(d.Args); n > 0 {
		return d.Args[n-1].Pos
	}
	return d.Pos
}

// errorf formats an error about directive d at nginx's position for it.
func errorf(d *ngxconf.Directive, format string, a ...any) error {
	return &ngxconf.Error{Pos: stmtPos(d), Msg: fmt.Sprintf(format, a...)}
}

// errorAt formats an error at a position.
func errorAt(p ngxconf.Pos, format string, a ...any) error {
	return &ngxconf.Error{Pos: p, Msg: fmt.Sprintf(format, a...)}
}

// warn records a non-fatal remark.
func (l *loader) warn(p ngxconf.Pos, format string, a ...any) {
	l.cfg.Warnings = append(l.cfg.Warnings, Warning{Pos: p, Msg: fmt.Sprintf(format, a...)})
}

// confPath resolves a file named in a directive against the
// configuration file's directory.
func (l *loader) confPath(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(l.confDir, p)
}

// prefixPath resolves a log or pid path against the prefix.
func (l *loader) prefixPath(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(l.prefix, p)
}

// prefixTemplate is ngx_conf_full_name for a value with variables: the
// prefix in front of a relative one, nothing cleaned, since the value
// is only a path once evaluated.
func (l *loader) prefixTemplate(p string) string {
	if strings.HasPrefix(p, "/") {
		return p
	}
	return strings.TrimSuffix(l.prefix, "/") + "/" + p
}

// resolve looks up a host name.
func (l *loader) resolve(host string) ([]string, error) {
	if l.opts.Resolve != nil {
		return l.opts.Resolve(host)
	}
	r := net.DefaultResolver
	if l.stream != nil && len(l.stream.resolvers) > 0 {
		r = dnsResolver(l.stream.resolvers)
	}
	ctx, cancel := context.WithTimeout(context.Background(), l.resolveTimeout())
	defer cancel()
	return r.LookupHost(ctx, host)
}

// finish runs the checks that need the whole configuration.
func (l *loader) finish() error {
	if l.stream != nil {
		if err := l.stream.finish(l); err != nil {
			return err
		}
	}
	if l.events == nil {
		// nginx's events module refuses to start without its block
		// (ngx_event_init_conf); the message names no position, as
		// nginx's does not: the block is missing from the whole file.
		return errors.New("no \"events\" section in configuration")
	}
	return nil
}
