package ngxconf

import "fmt"

// OpenError is a failed open of a file that the configuration names (a
// log, the pid file), worded as nginx words it:
//
//	open() "/var/log/strait/access.log" failed (2: No such file or directory)
//
// nginx reports these without a configuration position, because it opens
// files after parsing; so does strait. The cause stays reachable through
// errors.Is and errors.As.
type OpenError struct {
	Path string
	Err  error
}

func (e *OpenError) Error() string {
	return fmt.Sprintf("open() %q failed (%s)", e.Path, OSReason(e.Err))
}

func (e *OpenError) Unwrap() error { return e.Err }
