package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/straitproxy/strait/internal/demo"
)

// demoFlags are the options of `strait demo`; demoOptions documents them.
type demoFlags struct {
	dir, listen  string
	once, client bool
}

func newDemoFlagSet(out io.Writer) (*flag.FlagSet, *demoFlags) {
	fs := flag.NewFlagSet("strait demo", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() { fmt.Fprint(out, demoUsage()) }
	d := &demoFlags{}
	// The texts are in demoOptions, which -h prints.
	fs.StringVar(&d.dir, "dir", "", "")
	fs.StringVar(&d.listen, "listen", "", "")
	fs.BoolVar(&d.once, "once", false, "")
	fs.BoolVar(&d.client, "client", false, "")
	return fs, d
}

// runDemo implements `strait demo [-dir DIR] [-listen ADDR] [-once]` and
// `strait demo -client [-listen ADDR]`.
func runDemo(args []string, env Env) int {
	fs, d := newDemoFlagSet(env.Stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if d.client {
		addr := d.listen
		if addr == "" {
			addr = demo.DefaultListen
		}
		if err := demo.Client(ctx, addr, os.Stdin, env.Stdout); err != nil {
			fmt.Fprintf(env.Stderr, "strait: [error] demo client: %v\n", err)
			return 1
		}
		return 0
	}
	err := demo.Run(ctx, demo.Options{Dir: d.dir, Listen: d.listen, Out: env.Stdout, Wait: !d.once})
	if err != nil {
		fmt.Fprintf(env.Stderr, "strait: [emerg] demo: %v\n", err)
		return 1
	}
	return 0
}
