package proxy

import (
	"context"
	"time"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/vars"
)

// flowLimiter paces one direction of a session (proxy_upload_rate,
// proxy_download_rate). Take waits, bounded by ctx, until some of n bytes
// may pass and returns how many (at least one).
type flowLimiter interface {
	Take(ctx context.Context, n int) (int, error)
}

// rateLimiter is nginx's limit_rate algorithm from ngx_stream_proxy_process,
// not a token bucket: after t whole seconds of the session (counted on the
// wall clock's seconds, as ngx_time() does), at most rate*(t+1) bytes have
// passed, and after each chunk of n bytes the next waits n/rate seconds.
// There is no burst: "proxy_download_rate 250" passes 250 bytes at once,
// the next 250 a second later, and a 1,000-byte reply takes three seconds
// or more; "proxy_upload_rate 1" passes one byte in the first second.
//
// nginx applies the limit to what it reads, never reading more than it
// may pass; strait applies it to what it writes of a buffer already read,
// which lets bytes pass in the same pattern.
type rateLimiter struct {
	rate     int64 // bytes per second, > 0
	now      func() time.Time
	sleep    func(ctx context.Context, d time.Duration) error
	startSec int64     // the session's start, in whole seconds
	passed   int64     // nginx's *received
	next     time.Time // no bytes pass before this (nginx's delayed read event)
}

// newRateLimiter starts pacing at rate bytes per second for a session that
// started at start; now is the clock.
func newRateLimiter(rate int, start time.Time, now func() time.Time) *rateLimiter {
	return &rateLimiter{rate: int64(rate), now: now, sleep: sleepCtx, startSec: start.Unix()}
}

// Take implements flowLimiter.
func (l *rateLimiter) Take(ctx context.Context, n int) (int, error) {
	for {
		k, wait := l.reserve(l.now(), n)
		if k > 0 {
			return k, nil
		}
		if err := l.sleep(ctx, wait); err != nil {
			return 0, err
		}
	}
}

// reserve lets up to n bytes pass at now and returns how many; when none
// may, it returns 0 and how long to wait before asking again.
func (l *rateLimiter) reserve(now time.Time, n int) (int, time.Duration) {
	if now.Before(l.next) {
		return 0, l.next.Sub(now)
	}
	limit := l.rate*(now.Unix()-l.startSec+1) - l.passed
	if limit <= 0 {
		// nginx: delay = -limit * 1000 / limit_rate + 1 milliseconds.
		wait := time.Duration(-limit*1000/l.rate+1) * time.Millisecond
		if limit == 0 {
			// nginx then polls every millisecond until ngx_time()
			// ticks over to the next second; waiting for that tick
			// passes the bytes at the same moment without the polls.
			wait = max(wait, time.Unix(now.Unix()+1, 0).Sub(now))
		}
		l.next = now.Add(wait)
		return 0, wait
	}
	k := min(int64(n), limit)
	l.passed += k
	if delay := time.Duration(k*1000/l.rate) * time.Millisecond; delay > 0 {
		l.next = now.Add(delay)
	}
	return int(k), 0
}

// account counts n bytes that passed without being paced (bytes read
// with the client's PROXY header and sent upstream first).
func (l *rateLimiter) account(n int) { l.passed += int64(n) }

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// rate is a session's rate: the constant, or expr's value read as a size
// (ngx_stream_complex_value_size). A value that is not a size is logged
// as nginx logs it and leaves the session unlimited, nginx's default.
func (h *Handler) rate(s *Session, upstream string, constant int, expr *vars.Expr) int {
	if expr == nil || s.Record == nil {
		return constant
	}
	v := expr.Value(s.Record)
	n, err := config.ParseSize(v)
	if err != nil {
		s.Log.Error("invalid size \""+v+"\"", append([]any{"action", actionProxying,
			"client", s.ClientText, "server", s.ServerText, "upstream", upstream}, bytesAttrs(0, 0, 0, 0)...)...)
		return 0
	}
	return n
}
