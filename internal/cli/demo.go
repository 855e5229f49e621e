package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/straitproxy/strait/internal/demo"
)

// runDemo implements `strait demo [-dir DIR] [-listen ADDR]`.
func runDemo(args []string, env Env) int {
	fs := flag.NewFlagSet("strait demo", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	dir := fs.String("dir", "", "directory for the demo's certificates, configuration and logs (default: a new temporary directory)")
	listen := fs.String("listen", "", "strait's listen address (default: 127.0.0.1:12345, or a free port when it is taken)")
	once := fs.Bool("once", false, "show the demonstration and exit instead of running until Ctrl-C")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := demo.Run(ctx, demo.Options{Dir: *dir, Listen: *listen, Out: env.Stdout, Wait: !*once})
	if err != nil {
		fmt.Fprintf(env.Stderr, "strait: [emerg] demo: %v\n", err)
		return 1
	}
	return 0
}
