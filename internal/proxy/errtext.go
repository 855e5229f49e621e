package proxy

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"syscall"

	"github.com/straitproxy/strait/internal/errlog"
	"github.com/straitproxy/strait/internal/tlsconf"
)

// Errno formats err's system error number the way nginx appends it to a
// message: "(111: Connection refused)". It returns "" when err carries no
// errno.
func Errno(err error) string { return errlog.Errno(err) }

// isTimeout reports whether err is a deadline or context timeout.
func isTimeout(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) ||
		errors.Is(err, syscall.ETIMEDOUT)
}

// timedOutText is nginx's "upstream timed out (110: Connection timed out)".
func timedOutText(what string) string {
	return what + " timed out " + errlog.ErrnoText(syscall.ETIMEDOUT)
}

// failureLine words an I/O error that ended a session as nginx does, e.g.
// "writev() failed (104: Connection reset by peer)" with the action
// "proxying and sending to upstream", at nginx's level.
//
// nginx's stream proxy reads with recv() and writes with writev() (its
// send_chain), or SSL_read() and SSL_write() over TLS. Its client
// connections log at info and its upstream connections at error when the
// peer went away; other system errors are alerts (crit over TLS).
func failureLine(f flowFailure) (msg, action string, level slog.Level) {
	call, dir, side := "recv()", "reading from", "client"
	if f.write {
		call, dir = "writev()", "sending to"
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
	level = slog.LevelInfo
	if f.upstream {
		level = slog.LevelError
	}
	reason := errlog.Errno(f.err)
	if text, alertLevel, ok := tlsconf.AlertText(f.err); ok && f.tls {
		// The upstream's TLS alert, in OpenSSL's words: "SSL_read()
		// failed (SSL: error:0A00045C:...:SSL alert number 116)".
		return call + " failed (" + text + ")", "proxying and " + dir + " " + side, alertLevel
	}
	if reason == "" {
		reason = "(" + f.err.Error() + ")"
	} else if !isPeerGone(f.err) {
		level = errlog.LevelAlert
		if f.tls {
			level = errlog.LevelCrit
		}
	}
	return call + " failed " + reason, "proxying and " + dir + " " + side, level
}

// isPeerGone reports whether err's errno is one that nginx's
// ngx_connection_error (and ngx_ssl_connection_error for SSL_ERROR_SYSCALL)
// takes for the peer or the network going away: logged at the
// connection's own level, info for a client and error for an upstream.
// Any other errno is strait's or the system's trouble, logged louder.
func isPeerGone(err error) bool {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return false
	}
	switch errno {
	case syscall.ECONNRESET, syscall.EPIPE, syscall.ENOTCONN, syscall.ETIMEDOUT, syscall.ECONNREFUSED,
		syscall.ENETDOWN, syscall.ENETUNREACH, syscall.EHOSTDOWN, syscall.EHOSTUNREACH:
		return true
	}
	return false
}

// logFlowFailure logs an I/O error that ended a session.
func (h *Handler) logFlowFailure(s *Session, upstream string, f flowFailure, byteAttrs []any) {
	msg, action, level := failureLine(f)
	s.Log.Log(context.Background(), level, msg, append([]any{"action", action,
		"client", s.ClientText, "server", s.ServerText, "upstream", upstream}, byteAttrs...)...)
}
