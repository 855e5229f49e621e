package proxy

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// pacedRun takes total bytes through a limiter of rate bytes per second
// whose session started at start, asking for up to ask bytes at a time, on
// a fake clock that sleeps advance. It returns each chunk as
// "+SECONDS:BYTES", seconds since start.
func pacedRun(t *testing.T, rate int, start time.Time, total, ask int, pre int) string {
	t.Helper()
	now := start
	l := newRateLimiter(rate, start, func() time.Time { return now })
	l.sleep = func(_ context.Context, d time.Duration) error {
		if d <= 0 {
			t.Fatalf("asked to sleep %v", d)
		}
		now = now.Add(d)
		return nil
	}
	l.account(pre)
	var out []string
	passed := pre
	for left := total; left > 0; {
		k, err := l.Take(context.Background(), min(left, ask))
		if err != nil || k <= 0 || k > min(left, ask) {
			t.Fatalf("Take = %d, %v", k, err)
		}
		left -= k
		passed += k
		// nginx's bound: after t whole seconds, at most rate*(t+1).
		whole := now.Unix() - start.Unix()
		if int64(passed) > int64(rate)*(whole+1) {
			t.Fatalf("%d bytes passed after %d whole seconds at rate %d", passed, whole, rate)
		}
		out = append(out, fmt.Sprintf("+%g:%d", now.Sub(start).Seconds(), k))
		if len(out) > 1000 {
			t.Fatal("no end in 1000 chunks")
		}
	}
	return strings.Join(out, " ")
}

func TestRateLimiterFollowsNginx(t *testing.T) {
	mid := time.Unix(1000, 500_000_000) // half a second into a second
	tests := []struct {
		name                  string
		rate                  int
		start                 time.Time
		total, ask, preceding int
		want                  string
	}{
		// A 1,000-byte reply at 250 bytes/s takes three seconds: no
		// burst, a quarter each second.
		{"reply at 250", 250, mid, 1000, 16384, 0, "+0:250 +1:250 +2:250 +3:250"},
		// One byte in the first second at 1 byte/s.
		{"one byte a second", 1, mid, 3, 16384, 0, "+0:1 +1:1 +2:1"},
		// Small chunks pass at once while the second's allowance
		// lasts, each delaying the next by its size over the rate.
		{"small chunks", 1000, mid, 1000, 300, 0, "+0:300 +0.3:300 +0.6:300 +0.9:100"},
		// Bytes sent before pacing (with a PROXY header) count: the
		// second's allowance is spent, so nothing passes until the
		// next whole second (nginx's delayed read, then its polls).
		{"allowance spent", 1000, mid, 100, 16384, 1000, "+0.5:100"},
		{"deeply overdrawn", 1000, mid, 100, 16384, 3000, "+2.5:100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := pacedRun(t, tt.rate, tt.start, tt.total, tt.ask, tt.preceding); got != tt.want {
				t.Errorf("chunks %s, want %s", got, tt.want)
			}
		})
	}
}

func TestRateLimiterWaitEndsWithContext(t *testing.T) {
	l := newRateLimiter(1, time.Now(), time.Now)
	if k, err := l.Take(context.Background(), 10); k != 1 || err != nil {
		t.Fatalf("first Take = %d, %v; want 1 byte", k, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Take(ctx, 10); err == nil {
		t.Fatal("Take waited past a cancelled context")
	}
}
