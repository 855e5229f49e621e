package proxy

import (
	"context"
	"errors"
	"net"
	"sort"
	"syscall"
)

// flowFailure is an I/O error that ended one direction of a session, for
// the error log: which side's socket failed and whether reading or writing.
type flowFailure struct {
	err      error
	upstream bool // the upstream's socket failed (else the client's)
	write    bool
	tls      bool
	order    int32 // 1 for the flow that ended first
}

// failures returns the I/O errors that ended the session's flows, in the
// order they happened, leaving out strait's own stops (deadlines set to
// end a flow, closes, cancelled rate-limit waits, the idle timeout).
//
// Both flows can fail on one socket: a reset upstream fails the read from
// it and the write to it. The kernel hands ECONNRESET to whichever call
// comes first and EPIPE (or EOF) to later ones, which only echo it; nginx,
// with one thread, logs the one failure. So one failure is kept per
// socket: the reset if either flow saw it, else the first.
func (p *pipeState) failures(upTLS bool, flows ...*flow) []flowFailure {
	var out []flowFailure
	for _, f := range flows {
		if f.err == nil || errors.Is(f.err, net.ErrClosed) || errors.Is(f.err, context.Canceled) ||
			p.ending.Load() && isTimeout(f.err) || p.timedOut.Load() {
			continue
		}
		upSide := f.fromUp != f.writeErr // reading from, or writing to, the upstream
		ff := flowFailure{err: f.err, upstream: upSide, write: f.writeErr, tls: upSide && upTLS, order: f.ended}
		if len(out) == 1 && out[0].upstream == upSide {
			if ff.saysMore(out[0]) {
				out[0] = ff
			}
			continue
		}
		out = append(out, ff)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].order < out[j].order })
	return out
}

// saysMore reports whether f tells more than g, a failure on the same
// socket: a reset over what only echoes it, else the earlier.
func (f flowFailure) saysMore(g flowFailure) bool {
	fr, gr := errors.Is(f.err, syscall.ECONNRESET), errors.Is(g.err, syscall.ECONNRESET)
	if fr != gr {
		return fr
	}
	return f.order < g.order
}
