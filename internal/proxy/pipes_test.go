package proxy

import "sync"

// countingBudget is a DescriptorBudget with a fixed number of descriptors.
type countingBudget struct {
	mu        sync.Mutex
	max, used int
}

func (b *countingBudget) TakeDescriptors(n int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.used+n > b.max {
		return false
	}
	b.used += n
	return true
}

func (b *countingBudget) ReturnDescriptors(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= n
}

func (b *countingBudget) Scarce() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used >= b.max
}

func (b *countingBudget) inUse() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// lent returns how many of pp's pipes are held by flows.
func (pp *PipePool) lent() int {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	return pp.open - len(pp.idle)
}
