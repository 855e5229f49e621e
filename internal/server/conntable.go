package server

import "sync"

// connTable keeps sessions within worker_connections and within the
// open-files limit (RLIMIT_NOFILE).
//
// Like nginx, worker_connections counts every connection: listening
// sockets, clients and upstreams. A session is admitted with two
// connections, its client's and its upstream's, before its client is
// accepted, so that the upstream connection of a session already accepted
// never lacks a slot: at the limit, new clients wait in the listen backlog
// instead. Descriptors are counted the same way, two per session, plus two
// per splice pipe; admission leaves a reserve free for descriptors strait
// opens outside sessions (log files reopened, the status endpoint, name
// lookups), while pipes may use it and are refused only at the limit
// itself (the flow then copies through a buffer).
type connTable struct {
	mu   sync.Mutex
	cond *sync.Cond

	// connLimited is set when worker_connections is; maxConns is then how
	// many connections sessions may hold: it less the listening sockets.
	connLimited bool
	maxConns    int
	conns       int // two per admitted session

	// fdLimited is set when the open-files limit is known; maxFDs is then
	// how many descriptors sessions and pipes may hold: the limit less the
	// descriptors open for other uses.
	fdLimited bool
	maxFDs    int
	fds       int // two per admitted session and per open pipe
	reserve   int // descriptors admission leaves free

	connsShort, fdsShort bool // logged the current episode of waiting

	// onConnsShort and onFDsShort log, once per episode, why admission
	// waits; trim closes idle splice pipes when descriptors are short and
	// returns how many it closed. They run without mu held.
	onConnsShort func(workerConnections int)
	onFDsShort   func()
	trim         func() int

	workerConnections int // as configured, for the log line
}

func newConnTable() *connTable {
	t := &connTable{}
	t.cond = sync.NewCond(&t.mu)
	return t
}

// tableLimits are the limits in force for a configuration.
type tableLimits struct {
	workerConnections int // worker_connections
	listeners         int // listening sockets, which count against it
	// fileLimit is RLIMIT_NOFILE and openFiles the descriptors open now;
	// fileLimit 0 means unknown.
	fileLimit, openFiles int
}

// descriptorReserve is what admission leaves free of fileLimit: about
// 0.4% of it, at least 8.
func descriptorReserve(fileLimit int) int { return max(8, fileLimit/256) }

// setLimits applies l. The descriptors open for other uses are openFiles
// less those the table counts now.
func (t *connTable) setLimits(l tableLimits) {
	t.mu.Lock()
	t.workerConnections = l.workerConnections
	t.connLimited = l.workerConnections > 0
	t.maxConns = l.workerConnections - l.listeners
	t.fdLimited = l.fileLimit > 0
	if t.fdLimited {
		other := max(l.openFiles-t.fds, 0)
		t.maxFDs = l.fileLimit - other
		t.reserve = descriptorReserve(l.fileLimit)
	}
	t.mu.Unlock()
	t.cond.Broadcast()
}

// admit takes two connections and two descriptors for a session about to
// be accepted, waiting while either limit is reached. It returns false
// once closed reports true (the listener closed; wake makes admit look).
func (t *connTable) admit(closed func() bool) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for !closed() {
		switch t.roomLocked() {
		case shortOfConns:
			if !t.connsShort {
				t.connsShort = true
				if log, wc := t.onConnsShort, t.workerConnections; log != nil {
					t.unlocked(func() { log(wc) })
				}
				continue
			}
			t.cond.Wait()
		case shortOfFDs:
			if !t.fdsShort {
				t.fdsShort = true
				t.unlocked(t.onFDsShort)
				continue
			}
			// Idle pipes may hold what a session needs: close them
			// and look again.
			if n := t.unlockedTrim(); n > 0 {
				continue
			}
			t.cond.Wait()
		default:
			t.conns += 2
			t.fds += 2
			t.connsShort, t.fdsShort = false, false
			return true
		}
	}
	return false
}

// tryAdmit is admit for a UDP session, which cannot wait: a datagram
// that finds no room is dropped (nginx drops it when
// ngx_get_connection fails). It logs once per episode of shortage.
func (t *connTable) tryAdmit() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch t.roomLocked() {
	case shortOfConns:
		if !t.connsShort {
			t.connsShort = true
			if log, wc := t.onConnsShort, t.workerConnections; log != nil {
				t.unlocked(func() { log(wc) })
			}
		}
		return false
	case shortOfFDs:
		if !t.fdsShort {
			t.fdsShort = true
			t.unlocked(t.onFDsShort)
		}
		if t.unlockedTrim() > 0 && t.roomLocked() == room {
			break
		}
		return false
	}
	t.conns += 2
	t.fds += 2
	t.connsShort, t.fdsShort = false, false
	return true
}

// Why a session cannot be admitted now.
const (
	room = iota
	shortOfConns
	shortOfFDs
)

func (t *connTable) roomLocked() int {
	switch {
	case t.connLimited && t.conns+2 > t.maxConns:
		return shortOfConns
	case t.fdsShortLocked():
		return shortOfFDs
	}
	return room
}

// fdsShortLocked reports whether a session's two descriptors would eat
// into the reserve.
func (t *connTable) fdsShortLocked() bool {
	return t.fdLimited && t.fds+2+t.reserve > t.maxFDs
}

// unlocked runs f, if set, with t.mu released.
func (t *connTable) unlocked(f func()) {
	if f == nil {
		return
	}
	t.mu.Unlock()
	defer t.mu.Lock()
	f()
}

func (t *connTable) unlockedTrim() (n int) {
	if t.trim != nil {
		t.unlocked(func() { n = t.trim() })
	}
	return n
}

// leave gives back what admit took, when the session ends.
func (t *connTable) leave() {
	t.mu.Lock()
	t.conns -= 2
	t.fds -= 2
	t.mu.Unlock()
	t.cond.Broadcast()
}

// wake makes waiting admits look whether their listener closed. Taking
// mu first means a waiter is either past its look or inside Wait.
func (t *connTable) wake() {
	t.mu.Lock()
	t.mu.Unlock()
	t.cond.Broadcast()
}

// TakeDescriptors counts a splice pipe's descriptors unless that would
// pass the limit (the reserve is theirs to use).
func (t *connTable) TakeDescriptors(n int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.fdLimited && t.fds+n > t.maxFDs {
		return false
	}
	t.fds += n
	return true
}

// ReturnDescriptors uncounts a closed pipe's descriptors.
func (t *connTable) ReturnDescriptors(n int) {
	t.mu.Lock()
	t.fds -= n
	t.mu.Unlock()
	t.cond.Broadcast()
}

// Scarce reports whether a session would wait for descriptors now.
func (t *connTable) Scarce() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.fdsShortLocked()
}

// counts returns the connections and descriptors counted now.
func (t *connTable) counts() (conns, fds int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.conns, t.fds
}
