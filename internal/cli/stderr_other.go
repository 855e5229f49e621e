//go:build !linux

package cli

import "os"

// redirectStderr is a no-op where dup3 is unavailable; the daemon then
// keeps the caller's stderr.
func redirectStderr(*os.File) {}
