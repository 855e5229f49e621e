package upstream

import "time"

// health is a peer's active health-check state.
type health struct {
	// pending: a mandatory check has not yet passed for this peer.
	pending bool
	// unhealthy: the last `fails` checks failed, and fewer than `passes`
	// have passed since.
	unhealthy bool
	passes    int // consecutive passed checks
	fails     int // consecutive failed checks
	checks    uint64
	last      time.Time // when the last check ended
	reason    string    // why the last check failed, "" after a pass
}

func newHealth(mandatory bool) health { return health{pending: mandatory} }

// usable reports whether health checks let the peer take sessions.
func (h *health) usable() bool { return !h.pending && !h.unhealthy }

// state names the health state for status pages.
func (h *health) state() string {
	switch {
	case h.pending:
		return "checking"
	case h.unhealthy:
		return "unhealthy"
	case h.checks == 0:
		return "unchecked"
	}
	return "up"
}
