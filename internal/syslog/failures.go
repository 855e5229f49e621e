package syslog

import (
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/straitproxy/strait/internal/failreport"
)

// ReportInterval is the shortest time between two reports about failed
// sends to one syslog target. nginx reports every failed send; a syslog
// server that is down would then add a line to the error log for every
// session, so strait spaces them as it spaces failed access log writes.
const ReportInterval = 60 * time.Second

// opError is one failed connect() or send(), worded as nginx words it.
type opError struct {
	op         string
	err        error
	incomplete [2]int // bytes sent, datagram size, when err is nil
}

func (e *opError) reason() string {
	if e.err == nil {
		return fmt.Sprintf("incomplete: %d of %d", e.incomplete[0], e.incomplete[1])
	}
	var errno syscall.Errno
	if errors.As(e.err, &errno) {
		msg := errno.Error()
		if msg != "" && msg[0] >= 'a' && msg[0] <= 'z' {
			msg = string(msg[0]-'a'+'A') + msg[1:]
		}
		return fmt.Sprintf("%d: %s", int(errno), msg)
	}
	return e.err.Error()
}

// failureReports decides which failed sends to one target are reported
// (see failreport) and words them as nginx does. The caller serializes
// calls.
type failureReports struct {
	server string
	spacer failreport.Spacer
	reason string
}

func newFailureReports(server string) failureReports {
	return failureReports{server: server, spacer: failreport.Spacer{Interval: ReportInterval}}
}

// failed records a failed send and returns the report to make now, or nil.
func (r *failureReports) failed(now time.Time, e *opError) error {
	r.reason = e.reason()
	first, held := r.spacer.Failed(now)
	switch {
	case first && e.err == nil:
		return fmt.Errorf("%s was %s while logging to syslog, server: %s", e.op, r.reason, r.server)
	case first:
		return fmt.Errorf("%s failed (%s) while logging to syslog, server: %s", e.op, r.reason, r.server)
	}
	return r.summary(held)
}

// succeeded records a successful send and returns the summary of the
// failures not reported yet, or nil.
func (r *failureReports) succeeded() error {
	return r.summary(r.spacer.Succeeded())
}

func (r *failureReports) summary(held int) error {
	if held == 0 {
		return nil
	}
	return fmt.Errorf("%d more %s failed (%s) while logging to syslog, server: %s", held, failreport.Plural(held, "send"), r.reason, r.server)
}
