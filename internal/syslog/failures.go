package syslog

import (
	"errors"
	"fmt"
	"syscall"
	"time"
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

// failureReports decides which failed sends to one target are reported:
// the first failure after a healthy period at once, further ones counted
// and summed up at most once per ReportInterval, and a count not yet
// reported when sends succeed again. The caller serializes calls.
type failureReports struct {
	server  string
	failing bool
	last    time.Time
	held    int
	reason  string
}

// failed records a failed send and returns the report to make now, or nil.
func (r *failureReports) failed(now time.Time, e *opError) error {
	r.reason = e.reason()
	if !r.failing {
		r.failing, r.last, r.held = true, now, 0
		if e.err == nil {
			return fmt.Errorf("%s was %s while logging to syslog, server: %s", e.op, r.reason, r.server)
		}
		return fmt.Errorf("%s failed (%s) while logging to syslog, server: %s", e.op, r.reason, r.server)
	}
	r.held++
	if now.Sub(r.last) < ReportInterval {
		return nil
	}
	r.last = now
	return r.summary()
}

// succeeded records a successful send and returns the summary of the
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

func (r *failureReports) summary() error {
	noun := "sends"
	if r.held == 1 {
		noun = "send"
	}
	err := fmt.Errorf("%d more %s failed (%s) while logging to syslog, server: %s", r.held, noun, r.reason, r.server)
	r.held = 0
	return err
}
