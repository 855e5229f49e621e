package proxy

import (
	"context"
	"errors"
	"os"
	"strconv"
	"syscall"
)

// Errno formats err's system error number the way nginx appends it to a
// message: "(111: Connection refused)". It returns "" when err carries no
// errno.
func Errno(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return ""
	}
	return errnoText(errno)
}

// errnoText renders errno as "(N: Text)", with strerror's capitalisation
// (Go's texts are glibc's, lower-cased).
func errnoText(errno syscall.Errno) string {
	s := errno.Error()
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	return "(" + strconv.Itoa(int(errno)) + ": " + s + ")"
}

// isTimeout reports whether err is a deadline or context timeout.
func isTimeout(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		errors.Is(err, syscall.ETIMEDOUT)
}

// timedOutText is nginx's "upstream timed out (110: Connection timed out)".
func timedOutText(what string) string {
	return what + " timed out " + errnoText(syscall.ETIMEDOUT)
}
