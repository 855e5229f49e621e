package proxy

import "sync"

// DescriptorBudget is asked before a pipe's two descriptors are opened
// and told when they are closed, so that pipes count against the same
// open-files limit as the sessions' sockets.
type DescriptorBudget interface {
	// TakeDescriptors reserves n descriptors; false means none are to
	// spare, and the flow copies through a buffer instead.
	TakeDescriptors(n int) bool
	// ReturnDescriptors gives n descriptors back.
	ReturnDescriptors(n int)
	// Scarce reports whether descriptors run short: pipes given back are
	// then closed rather than kept idle.
	Scarce() bool
}

// PipePool lends splice(2) pipes to spliced flows. A flow holds a pipe
// only while it moves bytes; it gives it back as soon as its source has
// nothing more to read, so an idle session holds none.
//
// Up to maxIdle pipes are kept for reuse, since making one costs several
// system calls; the others are closed when given back. The runtime's own
// splice (TCPConn.ReadFrom) keeps its pipes in a sync.Pool instead, where
// they stay open until garbage collections drop them, and holds one for as
// long as it waits for data: two pipes per idle session.
type PipePool struct {
	budget  DescriptorBudget // nil: no accounting
	maxIdle int

	mu     sync.Mutex
	idle   []*pipe
	open   int // pipes lent or idle
	closed bool
}

// NewPipePool returns a pool that keeps up to maxIdle unused pipes open
// and takes the descriptors of every pipe from budget (nil: from nobody).
func NewPipePool(maxIdle int, budget DescriptorBudget) *PipePool {
	return &PipePool{budget: budget, maxIdle: maxIdle}
}

// get lends a pipe; nil when the budget or the system refuses one.
func (pp *PipePool) get() *pipe {
	pp.mu.Lock()
	if n := len(pp.idle); n > 0 {
		p := pp.idle[n-1]
		pp.idle = pp.idle[:n-1]
		pp.mu.Unlock()
		return p
	}
	pp.mu.Unlock()
	if pp.budget != nil && !pp.budget.TakeDescriptors(2) {
		return nil
	}
	p, err := newPipe()
	if err != nil {
		if pp.budget != nil {
			pp.budget.ReturnDescriptors(2)
		}
		return nil
	}
	pp.mu.Lock()
	pp.open++
	pp.mu.Unlock()
	return p
}

// put takes back a lent pipe. One that still holds bytes (its flow
// failed midway) is closed rather than lent again.
func (pp *PipePool) put(p *pipe) {
	pp.mu.Lock()
	if !pp.closed && p.data == 0 && len(pp.idle) < pp.maxIdle && (pp.budget == nil || !pp.budget.Scarce()) {
		pp.idle = append(pp.idle, p)
		pp.mu.Unlock()
		return
	}
	pp.open--
	pp.mu.Unlock()
	pp.destroy(p)
}

func (pp *PipePool) destroy(p *pipe) {
	p.close()
	if pp.budget != nil {
		pp.budget.ReturnDescriptors(2)
	}
}

// Trim closes the idle pipes, giving their descriptors back, and returns
// how many it closed.
func (pp *PipePool) Trim() int {
	pp.mu.Lock()
	idle := pp.idle
	pp.idle = nil
	pp.open -= len(idle)
	pp.mu.Unlock()
	for _, p := range idle {
		pp.destroy(p)
	}
	return len(idle)
}

// Close closes the idle pipes; pipes still lent are closed when given
// back.
func (pp *PipePool) Close() {
	pp.mu.Lock()
	pp.closed = true
	pp.mu.Unlock()
	pp.Trim()
}

// Open returns how many pipes are open, lent or idle.
func (pp *PipePool) Open() int {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	return pp.open
}
