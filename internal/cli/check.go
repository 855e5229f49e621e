package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/straitproxy/strait/internal/check"
)

// Exit statuses of `strait check`, so that automation can tell a failing
// peer from a configuration that could not be read.
const (
	checkOK          = 0
	checkPeerFailed  = 1
	checkConfigError = 2
)

// runCheck implements `strait check [-c file] [-p prefix] [--json]`: load
// the configuration as -t does, then connect to every peer of every
// server block with proxy_ssl on and report.
func runCheck(args []string, env Env) int {
	fs := flag.NewFlagSet("strait check", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	f := &flags{}
	fs.StringVar(&f.confFile, "c", "", "configuration file (default: "+DefaultConfFile+")")
	fs.StringVar(&f.prefix, "p", "", "prefix path (default: the configuration file's directory)")
	asJSON := fs.Bool("json", false, "print the report as JSON (schema: docs/certificates.md)")
	if err := fs.Parse(args); err != nil {
		return checkConfigError
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(env.Stderr, "strait: invalid option: %q\n", fs.Arg(0))
		return checkConfigError
	}
	opts, err := loadOptions(f, env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "strait: [emerg] %v\n", err)
		return checkConfigError
	}
	cfg, err := loadChecked(opts, time.Time{})
	if err != nil {
		fmt.Fprintf(env.Stderr, "strait: [emerg] %v\n", err)
		return checkConfigError
	}
	for _, w := range warnings(cfg) {
		fmt.Fprintf(env.Stderr, "strait: [warn] %s\n", w)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := check.Run(ctx, cfg, check.Options{})
	if err != nil {
		fmt.Fprintf(env.Stderr, "strait: [emerg] %v\n", err)
		return checkConfigError
	}
	if *asJSON {
		err = rep.WriteJSON(env.Stdout)
	} else {
		err = rep.WriteText(env.Stdout)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "strait: %v\n", err)
		return checkPeerFailed
	}
	if !rep.OK {
		return checkPeerFailed
	}
	return checkOK
}
