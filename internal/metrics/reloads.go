package metrics

import (
	"sync"
	"time"
)

// ReloadLog records configuration reloads (HUP) for /metrics and /status.
// It is safe for concurrent use.
type ReloadLog struct {
	mu sync.Mutex
	r  Reloads
}

// Reloads is what ReloadLog holds.
type Reloads struct {
	Successes, Failures uint64
	// LastSuccess is when the running configuration was loaded: the start
	// until a reload succeeds.
	LastSuccess time.Time
	// Last is the most recent reload; zero At when there was none.
	Last ReloadResult
}

// ReloadResult is one reload's outcome.
type ReloadResult struct {
	At  time.Time
	Err error // nil on success
}

// NewReloadLog starts a log whose configuration was loaded at start.
func NewReloadLog(start time.Time) *ReloadLog {
	return &ReloadLog{r: Reloads{LastSuccess: start}}
}

// Record adds a reload that ended at at with err (nil: success).
func (l *ReloadLog) Record(at time.Time, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err == nil {
		l.r.Successes++
		l.r.LastSuccess = at
	} else {
		l.r.Failures++
	}
	l.r.Last = ReloadResult{At: at, Err: err}
}

// Read returns the current record.
func (l *ReloadLog) Read() Reloads {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r
}
