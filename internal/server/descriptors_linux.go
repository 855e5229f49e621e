package server

import (
	"math"
	"os"

	"golang.org/x/sys/unix"
)

// systemDescriptors returns the soft RLIMIT_NOFILE and how many
// descriptors the process has open, or 0, 0 when either is unknown.
func systemDescriptors() (limit, open int) {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil || rl.Cur == unix.RLIM_INFINITY {
		return 0, 0
	}
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		return 0, 0
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return 0, 0
	}
	// The listing includes the descriptor it was read through.
	return int(min(rl.Cur, math.MaxInt32)), len(names) - 1
}
