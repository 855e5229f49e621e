package cli

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// Version is strait's release version. It is a variable so that a release
// or package build can stamp its own with
// -ldflags '-X github.com/straitproxy/strait/internal/cli.Version=...'.
var Version = "0.1.0"

func printVersion(w io.Writer, details bool) {
	fmt.Fprintf(w, "strait version: strait/%s\n", Version)
	if !details {
		return
	}
	fmt.Fprintf(w, "built with %s (%s/%s)\n", runtime.Version(), runtime.GOOS, runtime.GOARCH)
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision", "vcs.time", "vcs.modified", "CGO_ENABLED":
				fmt.Fprintf(w, "%s: %s\n", s.Key, s.Value)
			}
		}
	}
	fmt.Fprintln(w, "TLS: Go crypto/tls (TLS 1.0 to 1.3; no SSLv2/SSLv3)")
	fmt.Fprintln(w, "modules: stream core, proxy, upstream (round robin), access, limit_conn, log, map")
}
