// Command mangen writes strait(8) to standard output, from the table
// that prints strait -h, so the man page and the help cannot drift:
//
//	go run ./internal/cli/mangen > packaging/strait.8
package main

import (
	"fmt"
	"os"

	"github.com/straitproxy/strait/internal/cli"
)

func main() {
	if err := cli.WriteManPage(os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "mangen: %v\n", err)
		os.Exit(1)
	}
}
