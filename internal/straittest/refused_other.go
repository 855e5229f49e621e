//go:build !unix

package straittest

import "testing"

// RefusedAddr needs a bound socket that never listens, made with the
// system calls of unix systems; elsewhere the test is skipped rather than
// given a port that something else could take.
func RefusedAddr(tb testing.TB) string {
	tb.Helper()
	tb.Skip("RefusedAddr holds a bound, non-listening socket, which needs a unix system")
	return ""
}
