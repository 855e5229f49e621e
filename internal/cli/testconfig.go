package cli

import (
	"fmt"
	"os"
	"time"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/server"
	"github.com/straitproxy/strait/internal/tlsconf"
)

// testConfig implements -t and -T: load and validate everything a start
// would (including certificates, keys and trust files), then, as nginx
// does once the syntax is ok, open every log file the configuration names
// and check the pid file's directory; print nginx's verdict lines and, for
// -T, every file read.
func testConfig(f *flags, opts config.LoadOptions, env Env) int {
	failed := func(err error) int {
		fmt.Fprintf(env.Stderr, "strait: [emerg] %v\n", err)
		fmt.Fprintf(env.Stderr, "strait: configuration file %s test failed\n", opts.File)
		return 1
	}
	cfg, err := loadChecked(opts, env.Now())
	if err != nil {
		return failed(err)
	}
	for _, w := range warnings(cfg) {
		fmt.Fprintf(env.Stderr, "strait: [warn] %s\n", w)
	}
	if !f.quiet {
		fmt.Fprintf(env.Stderr, "strait: the configuration file %s syntax is ok\n", opts.File)
	}
	// nginx checks the pid file before it opens the logs.
	if err := checkPIDFile(cfg.Main.PIDFile); err != nil {
		return failed(err)
	}
	defaultErrorLog(cfg, f.errorLog)
	if err := server.Check(cfg, server.Options{PID: os.Getpid(), Stderr: env.Stderr}); err != nil {
		return failed(err)
	}
	if !f.quiet {
		fmt.Fprintf(env.Stderr, "strait: configuration file %s test is successful\n", opts.File)
	}
	if f.dump {
		for _, s := range cfg.Sources {
			fmt.Fprintf(env.Stdout, "# configuration file %s:\n", s.Path)
			env.Stdout.Write(s.Text)
			if n := len(s.Text); n > 0 && s.Text[n-1] != '\n' {
				fmt.Fprintln(env.Stdout)
			}
			fmt.Fprintln(env.Stdout)
		}
	}
	return 0
}

// loadChecked loads the configuration, compiles its variable expressions
// (nginx reports an unknown variable before "syntax is ok") and every
// upstream TLS profile, so that -t catches a bad key or CA file just as a
// start would. With expiryAt set (-t), it also warns about every
// certificate that expires within tlsconf.ExpiryWindow of it or has
// expired, and every CRL past its nextUpdate; a running strait logs those
// from its file watcher instead, once a day.
func loadChecked(opts config.LoadOptions, expiryAt time.Time) (*config.Config, error) {
	cfg, err := config.Load(opts)
	if err != nil {
		return nil, err
	}
	if cfg.Stream == nil {
		return cfg, nil
	}
	if err := server.CheckVariables(cfg); err != nil {
		return nil, err
	}
	for _, s := range cfg.Stream.Servers {
		if err := checkClientTLS(cfg, s, expiryAt); err != nil {
			return nil, err
		}
		if !s.SSL.Enabled {
			continue
		}
		c, err := tlsconf.NewClient(s.SSL, s.ProxyPass.Host())
		if err != nil {
			return nil, err
		}
		for _, w := range tlsconf.Warnings(s.SSL) {
			cfg.Warnings = append(cfg.Warnings, config.Warning{Pos: s.SSL.Pos, Msg: w})
		}
		if !expiryAt.IsZero() {
			for _, w := range c.ExpiryWarnings(expiryAt) {
				cfg.Warnings = append(cfg.Warnings, config.Warning{Pos: s.SSL.Pos, Msg: w})
			}
		}
	}
	return cfg, nil
}

// warnings lists risky settings once each, with their position.
func warnings(cfg *config.Config) []string {
	seen := map[string]bool{}
	var out []string
	for _, w := range cfg.Warnings {
		s := w.String()
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// checkClientTLS compiles a block's listen ... ssl profile, as a start
// would, and adds expiry warnings for its certificates.
func checkClientTLS(cfg *config.Config, s *config.Server, expiryAt time.Time) error {
	if len(s.ClientTLS.Certificates) == 0 && !s.ClientTLS.RejectHandshake {
		return nil
	}
	srv, err := tlsconf.NewServer(s.ClientTLS, tlsconf.ServerOptions{})
	if err != nil {
		return fmt.Errorf("%w in %s", err, s.Pos)
	}
	if !expiryAt.IsZero() {
		for _, w := range srv.ExpiryWarnings(expiryAt) {
			cfg.Warnings = append(cfg.Warnings, config.Warning{Pos: s.Pos, Msg: w})
		}
	}
	return nil
}
