package proxy

import (
	"context"
	"errors"
	"log/slog"
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

// logFlowFailure logs an I/O error that ended a session the way nginx
// does: "recv() failed (104: Connection reset by peer) while proxying and
// reading from upstream". Upstream failures are errors; a client's are
// logged at info, as nginx treats client connection errors.
func (h *Handler) logFlowFailure(s *Session, upstream string, f flowFailure) {
	call, dir, side := "recv()", "reading from", "client"
	if f.write {
		call, dir = "send()", "sending to"
	}
	if f.upstream {
		side = "upstream"
	}
	if f.tls {
		call = "SSL_read()"
		if f.write {
			call = "SSL_write()"
		}
	}
	reason := Errno(f.err)
	if reason == "" {
		reason = "(" + f.err.Error() + ")"
	}
	level := slog.LevelInfo
	if f.upstream {
		level = slog.LevelError
	}
	s.Log.Log(context.Background(), level, call+" failed "+reason, "action", "proxying and "+dir+" "+side,
		"client", s.ClientText, "server", s.ServerText, "upstream", upstream)
}
