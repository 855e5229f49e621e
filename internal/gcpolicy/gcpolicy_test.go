package gcpolicy

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
)

const mib = 1 << 20

// goal is the runtime's heap goal for a GC percent, as the Go GC guide
// states it (live + (live + roots) × GOGC/100), with the runtime's minimum
// of 4 MiB × GOGC/100.
func goal(percent int, live, roots uint64) uint64 {
	p := uint64(percent)
	return max(live+(live+roots)*p/100, minHeap*p/100)
}

func TestPercentSmallHeapGetsFloor(t *testing.T) {
	const floor = 64 * mib
	for _, c := range []struct{ live, roots uint64 }{
		{0, 0}, {1 * mib, 200 << 10}, {3 * mib, 1 * mib}, {8 * mib, 512 << 10}, {20 * mib, 2 * mib}, {50 * mib, 1 * mib},
	} {
		p := Percent(floor, c.live, c.roots)
		if p <= 100 {
			t.Errorf("live %d MiB: percent %d, want above 100", c.live/mib, p)
			continue
		}
		g := goal(p, c.live, c.roots)
		// live + floor, less the rounding of the percent (at most 1% of
		// the base); a heap under the runtime's 4 MiB minimum gets the
		// floor alone.
		base := max(c.live+c.roots, minHeap)
		want := uint64(floor)
		if c.live+c.roots >= minHeap {
			want += c.live
		}
		if g > c.live+floor || g+base/100+1 < want {
			t.Errorf("live %d MiB roots %d KiB: goal %.2f MiB, want %.2f MiB",
				c.live/mib, c.roots>>10, float64(g)/mib, float64(want)/mib)
		}
		if g < floor {
			t.Errorf("live %d MiB: goal %.1f MiB below the floor", c.live/mib, float64(g)/mib)
		}
	}
}

func TestPercentLargeHeapIsDefault(t *testing.T) {
	const floor = 64 * mib
	for _, live := range []uint64{64 * mib, 100 * mib, 300 * mib, 4 << 30} {
		if p := Percent(floor, live, 1*mib); p != 100 {
			t.Errorf("live %d MiB: percent %d, want 100", live/mib, p)
		}
	}
	// Just under the floor the goal is still live + floor, which is
	// about 2 × live: no jump where the policy hands over.
	live := uint64(60 * mib)
	p := Percent(floor, live, 1*mib)
	if g := goal(p, live, 1*mib); g > live+floor || g < 2*live {
		t.Errorf("live 60 MiB: goal %.1f MiB, want between %d and %d MiB", float64(g)/mib, 2*live/mib, (live+floor)/mib)
	}
}

func TestOptedOut(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want bool
	}{
		{nil, false},
		{map[string]string{"GOGC": "200"}, true},
		{map[string]string{"GOGC": ""}, true},
		{map[string]string{"GOMEMLIMIT": "1GiB"}, true},
		{map[string]string{"GODEBUG": "gctrace=1"}, false},
	} {
		lookup := func(k string) (string, bool) { v, ok := c.env[k]; return v, ok }
		if got := OptedOut(lookup); got != c.want {
			t.Errorf("env %v: OptedOut = %v, want %v", c.env, got, c.want)
		}
	}
}

func gogc() int64 {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	return int64(s[0].Value.Uint64())
}

// unsetenv removes name for the test and puts it back afterwards.
func unsetenv(t *testing.T, name string) {
	t.Setenv(name, "") // restores the old value at cleanup
	if err := os.Unsetenv(name); err != nil {
		t.Fatal(err)
	}
}

func TestStartFollowsLiveHeap(t *testing.T) {
	unsetenv(t, "GOGC")
	unsetenv(t, "GOMEMLIMIT")
	before := gogc()
	if !Start(64 * mib) {
		t.Fatal("Start did not install the policy")
	}
	t.Cleanup(Stop)
	if p := gogc(); p <= 100 {
		t.Fatalf("GOGC after Start = %d, want above 100 for a small test heap", p)
	}
	// A live heap above the floor brings the percent back to 100 after
	// the next collection; the sentinel's cleanup runs shortly after it.
	big := make([]byte, 96*mib)
	p := gogc()
	for i := 0; i < 200 && p != 100; i++ {
		runtime.GC()
		runtime.Gosched()
		p = gogc()
	}
	runtime.KeepAlive(big)
	if p != 100 {
		t.Errorf("GOGC with a 96 MiB live heap = %d, want 100", p)
	}
	big = nil
	for i := 0; i < 200 && p == 100; i++ {
		runtime.GC()
		runtime.Gosched()
		p = gogc()
	}
	if p <= 100 {
		t.Errorf("GOGC after the large heap died = %d, want above 100", p)
	}
	Stop()
	if p := gogc(); p != before {
		t.Errorf("GOGC after Stop = %d, want %d", p, before)
	}
}

func TestStartOptOut(t *testing.T) {
	t.Setenv("GOGC", "150")
	old := debug.SetGCPercent(150)
	defer debug.SetGCPercent(old)
	if Start(64 * mib) {
		Stop()
		t.Fatal("Start installed the policy although GOGC is set")
	}
	if p := gogc(); p != 150 {
		t.Errorf("GOGC = %d, want the operator's 150", p)
	}
}
