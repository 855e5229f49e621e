package errlog

import (
	"errors"
	"strconv"
	"syscall"
)

// Errno formats err's system error number the way nginx appends it to a
// message: "(111: Connection refused)". It returns "" when err carries no
// errno.
func Errno(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) || errno == 0 {
		return ""
	}
	return ErrnoText(errno)
}

// ErrnoText renders errno as "(N: Text)", with strerror's capitalisation
// (Go's texts are glibc's, lower-cased).
func ErrnoText(errno syscall.Errno) string {
	s := errno.Error()
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	return "(" + strconv.Itoa(int(errno)) + ": " + s + ")"
}
