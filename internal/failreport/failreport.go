// Package failreport spaces out the reports of a failure that repeats,
// such as writes to a full disk or sends to a syslog server that is down,
// so that one broken log target adds a line to the error log once in a
// while rather than once per session. The first failure after a healthy
// period is reported at once; later ones are counted and summed up at
// most once per interval, when the next failure comes after the interval
// has passed; a success ends the failing period, summing up what was
// counted and not reported yet. Callers word the reports themselves.
package failreport

import "time"

// Spacer is the state of one failing target. The zero value is healthy;
// Interval must be set. Callers serialize calls.
type Spacer struct {
	Interval time.Duration
	failing  bool
	last     time.Time // when the last report was made
	held     int       // failures since then, not reported yet
}

// Failed records a failure at now. first is true for the first failure
// of a failing period, to be reported as it is; summary, when above zero,
// is how many failures a summary should report now.
func (s *Spacer) Failed(now time.Time) (first bool, summary int) {
	if !s.failing {
		s.failing, s.last, s.held = true, now, 0
		return true, 0
	}
	s.held++
	if now.Sub(s.last) < s.Interval {
		return false, 0
	}
	s.last, summary, s.held = now, s.held, 0
	return false, summary
}

// Succeeded records a success and returns how many failures a summary
// should report now (0: none).
func (s *Spacer) Succeeded() (summary int) {
	if !s.failing {
		return 0
	}
	summary, s.failing, s.held = s.held, false, 0
	return summary
}

// Plural is noun with an "s" unless n is 1, for summaries.
func Plural(n int, noun string) string {
	if n == 1 {
		return noun
	}
	return noun + "s"
}
