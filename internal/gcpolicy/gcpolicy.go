// Package gcpolicy sets how often strait's garbage collector runs.
//
// With Go's default (GOGC=100) the next collection is due when the heap
// has doubled since the last one marked it. A proxy's live heap is small
// while it carries few sessions, yet every TLS handshake leaves tens of
// kilobytes of garbage, so under a stream of short connections a heap of a
// few MiB is collected many times a second. The policy gives the heap a
// floor of headroom instead: after every collection it sets the GC
// percent so that the next one is due at max(2 × live, live + floor).
// Once the live heap reaches the floor, that is plain GOGC=100 again, so a
// large live set (many idle sessions) keeps the default headroom and costs
// no extra memory.
//
// The percent is recomputed from runtime/metrics after each collection by
// a cleanup attached to a sentinel object that re-arms itself. A heap
// ballast was not chosen: it counts as live heap, so it would add twice
// its size to the goal of a large heap too.
//
// If GOGC or GOMEMLIMIT is set in the environment, the operator has chosen
// and Start leaves the collector alone.
package gcpolicy

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// DefaultFloor is the headroom the serving process keeps above its live
// heap before the next collection.
const DefaultFloor = 32 << 20

// minHeap is the runtime's minimum heap goal at GOGC=100 (4 MiB); the
// runtime scales it with the percent like the rest of the goal.
const minHeap = 4 << 20

// Percent is the GC percent that puts the next collection's heap goal at
// max(2 × live, live + floor), given the scannable roots (goroutine stacks
// and globals) that the runtime adds to the live heap when it computes
// the goal: live + (live + roots) × percent / 100, and no less than
// 4 MiB × percent / 100. It is never below 100.
func Percent(floor, live, roots uint64) int {
	base := max(live+roots, minHeap)
	if base >= floor {
		return 100
	}
	// Rounded down, so the goal stays at or below live + floor.
	return max(int(floor*100/base), 100)
}

// OptedOut reports whether the environment, read with lookup, sets GOGC
// or GOMEMLIMIT: then the operator tunes the collector and the policy
// stays out.
func OptedOut(lookup func(string) (string, bool)) bool {
	for _, name := range []string{"GOGC", "GOMEMLIMIT"} {
		if _, ok := lookup(name); ok {
			return true
		}
	}
	return false
}

var (
	mu      sync.Mutex
	floor   uint64 // 0: stopped
	gen     uint64 // bumped by Start and Stop; a stale sentinel does not re-arm
	initial int    // the percent before Start, restored by Stop
)

// sentinel is the object whose cleanup runs once per collection. It holds
// a pointer so that it is not a tiny allocation (those may share memory
// with other objects and never be freed on their own).
type sentinel struct {
	_ *byte
	_ [2]uint64
}

// Start installs the policy with the given floor in bytes, unless the
// environment opts out (see OptedOut). It reports whether it installed
// it. Calling it again replaces the floor.
func Start(f uint64) bool {
	if OptedOut(os.LookupEnv) {
		return false
	}
	mu.Lock()
	defer mu.Unlock()
	if floor == 0 {
		initial = debug.SetGCPercent(100)
	}
	floor = f
	gen++
	apply()
	arm(gen)
	return true
}

// Stop restores the GC percent Start found; sentinels armed before it do
// nothing more.
func Stop() {
	mu.Lock()
	defer mu.Unlock()
	if floor == 0 {
		return
	}
	floor = 0
	gen++
	debug.SetGCPercent(initial)
}

func arm(g uint64) {
	runtime.AddCleanup(new(sentinel), collected, g)
}

// collected runs after a collection found the sentinel of generation g
// unreachable: it sets the percent for the next cycle and arms a new one.
func collected(g uint64) {
	mu.Lock()
	defer mu.Unlock()
	if g != gen || floor == 0 {
		return
	}
	apply()
	arm(g)
}

var samples = []metrics.Sample{
	{Name: "/gc/heap/live:bytes"},
	{Name: "/gc/scan/stack:bytes"},
	{Name: "/gc/scan/globals:bytes"},
}

// apply sets the percent from the last collection's figures; mu is held.
func apply() {
	metrics.Read(samples)
	var v [3]uint64
	for i, s := range samples {
		if s.Value.Kind() == metrics.KindUint64 {
			v[i] = s.Value.Uint64()
		}
	}
	debug.SetGCPercent(Percent(floor, v[0], v[1]+v[2]))
}
