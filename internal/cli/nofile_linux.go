package cli

import "syscall"

// setNofile sets the soft open-files limit to n, raising the hard limit
// only when n is above it (which needs privilege).
func setNofile(n int) error {
	lim := syscall.Rlimit{Cur: uint64(n), Max: uint64(n)}
	var cur syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &cur); err == nil && cur.Max > lim.Max {
		lim.Max = cur.Max
	}
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
}
