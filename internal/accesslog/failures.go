package accesslog

import (
	"errors"
	"fmt"
	"time"

	"github.com/straitproxy/strait/internal/failreport"
	"github.com/straitproxy/strait/internal/ngxconf"
)

// ReportInterval is the shortest time between two alerts about failed
// writes to one access log file. nginx (ngx_stream_log_write) logs a
// failed write at most once a minute per log, so that a full disk does not
// add an alert line to the error log for every session.
const ReportInterval = 60 * time.Second

// failureReports decides which failed writes to one file are reported
// (see failreport) and words them as nginx does. The caller serializes
// calls (Writer.mu).
type failureReports struct {
	path   string
	spacer failreport.Spacer
	reason string // why the latest failure failed, for summaries
	op     string // what failed latest: "write" or "open", for summaries
}

func newFailureReports(path string) failureReports {
	return failureReports{path: path, spacer: failreport.Spacer{Interval: ReportInterval}}
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
	r.op = "write"
	return r.space(now, errors.New(msg))
}

// failedOpen records a failure to open (or check) the file, err worded
// as nginx words it (open() "x" failed (...)), and returns the report
// to make now, or nil.
func (r *failureReports) failedOpen(now time.Time, err error) error {
	r.reason, r.op = ngxconf.OSReason(errors.Unwrap(err)), "open"
	if report := r.space(now, err); report != nil {
		return &critReport{report}
	}
	return nil
}

// critReport is a report nginx makes at crit rather than alert: an
// access log file named with variables that cannot be opened
// (ngx_stream_log_script_write).
type critReport struct{ error }

func (c *critReport) Unwrap() error { return c.error }

// IsCrit reports whether a report returned by Log.Record is one nginx
// logs at crit; the others are alerts (files) or warnings (syslog).
func IsCrit(err error) bool {
	var c *critReport
	return errors.As(err, &c)
}

// pathError is a failed system call on a path, in nginx's words:
// stat() "x" failed (2: No such file or directory).
type pathError struct {
	call, path string
	err        error
}

func (e *pathError) Error() string {
	return fmt.Sprintf("%s %q failed (%s)", e.call, e.path, ngxconf.OSReason(e.err))
}

func (e *pathError) Unwrap() error { return e.err }

func (r *failureReports) space(now time.Time, report error) error {
	first, held := r.spacer.Failed(now)
	if first {
		return report
	}
	return r.summary(held)
}

// succeeded records a successful write and returns the summary of the
// failures not reported yet, or nil.
// The summary of held open failures is at crit, as they were.
func (r *failureReports) succeeded() error {
	return r.summary(r.spacer.Succeeded())
}

// summary words held failures; nil for none.
func (r *failureReports) summary(held int) error {
	if held == 0 {
		return nil
	}
	if r.op == "open" {
		return &critReport{fmt.Errorf("%d more %s of %q failed (%s)", held, failreport.Plural(held, "open"), r.path, r.reason)}
	}
	return fmt.Errorf("%d more %s to %q failed (%s)", held, failreport.Plural(held, "write"), r.path, r.reason)
}
