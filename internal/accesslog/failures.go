package accesslog

import (
	"errors"
	"fmt"
	"time"

	"github.com/straitproxy/strait/internal/ngxconf"
)

// ReportInterval is the shortest time between two alerts about failed
// writes to one access log file. nginx (ngx_stream_log_write) logs a
// failed write at most once a minute per log, so that a full disk does not
// add an alert line to the error log for every session.
const ReportInterval = 60 * time.Second

// failureReports decides which failed writes to one file are reported.
// The first failure after a healthy period is reported at once, in
// nginx's words; further failures are counted and summed up in at most
// one report per ReportInterval, made when the next failure comes after
// the interval has passed. A successful write ends the failing period: a
// count not yet reported is summed up then, and the next failure is
// reported at once again. The caller serializes calls (Writer.mu).
type failureReports struct {
	path    string
	failing bool
	last    time.Time // when the last report was made
	held    int       // failures since then, not reported yet
	reason  string    // why the latest failure failed, for summaries
}

// failed records a failed write of size bytes (n written, err the cause)
// and returns the report to make now, or nil.
func (r *failureReports) failed(now time.Time, n, size int, err error) error {
	var msg string
	if err != nil {
		r.reason = ngxconf.OSReason(err)
		msg = fmt.Sprintf("write() to %q failed (%s)", r.path, r.reason)
	} else {
		r.reason = fmt.Sprintf("incomplete: %d of %d", n, size)
		msg = fmt.Sprintf("write() to %q was incomplete: %d of %d", r.path, n, size)
	}
	if !r.failing {
		r.failing, r.last, r.held = true, now, 0
		return errors.New(msg)
	}
	r.held++
	if now.Sub(r.last) < ReportInterval {
		return nil
	}
	r.last = now
	return r.summary()
}

// succeeded records a successful write and returns the summary of the
// failures not reported yet, or nil.
func (r *failureReports) succeeded() error {
	if !r.failing {
		return nil
	}
	var err error
	if r.held > 0 {
		err = r.summary()
	}
	r.failing, r.held = false, 0
	return err
}

// summary words the held failures and starts counting anew.
func (r *failureReports) summary() error {
	noun := "writes"
	if r.held == 1 {
		noun = "write"
	}
	err := fmt.Errorf("%d more %s to %q failed (%s)", r.held, noun, r.path, r.reason)
	r.held = 0
	return err
}
