//go:build !linux

package cli

import "errors"

func setNofile(int) error {
	return errors.New("worker_rlimit_nofile is supported on Linux only")
}
