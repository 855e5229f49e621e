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
	first, held := r.spacer.Failed(now)
	if first {
		return errors.New(msg)
	}
	return r.summary(held)
}

// succeeded records a successful write and returns the summary of the
// failures not reported yet, or nil.
func (r *failureReports) succeeded() error {
	return r.summary(r.spacer.Succeeded())
}

// summary words held failures; nil for none.
func (r *failureReports) summary(held int) error {
	if held == 0 {
		return nil
	}
	return fmt.Errorf("%d more %s to %q failed (%s)", held, failreport.Plural(held, "write"), r.path, r.reason)
}
