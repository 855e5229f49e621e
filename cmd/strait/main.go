// Command strait is a TCP stream proxy that secures traffic to upstream
// servers with TLS and reads nginx stream configuration.
package main

import (
	"os"

	"github.com/straitproxy/strait/internal/cli"
)

func main() {
	startProfiling()
	os.Exit(cli.Main(os.Args[1:], cli.Env{Stdout: os.Stdout, Stderr: os.Stderr}))
}
