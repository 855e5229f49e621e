package failreport

import (
	"testing"
	"time"
)

func TestSpacer(t *testing.T) {
	s := Spacer{Interval: time.Minute}
	t0 := time.Unix(1000, 0)
	type step struct {
		at        time.Duration
		ok        bool
		wantFirst bool
		wantSum   int
	}
	for i, st := range []step{
		{at: 0, wantFirst: true},                     // reported at once
		{at: time.Second},                            // held
		{at: 2 * time.Second},                        // held
		{at: 61 * time.Second, wantSum: 3},           // the interval passed: a summary
		{at: 62 * time.Second},                       // held again
		{at: 63 * time.Second, ok: true, wantSum: 1}, // recovery sums up the rest
		{at: 64 * time.Second, wantFirst: true},      // a new failing period
		{at: 65 * time.Second, ok: true},             // nothing held
		{at: 66 * time.Second, ok: true},             // healthy: nothing
	} {
		now := t0.Add(st.at)
		var first bool
		var sum int
		if st.ok {
			sum = s.Succeeded()
		} else {
			first, sum = s.Failed(now)
		}
		if first != st.wantFirst || sum != st.wantSum {
			t.Errorf("step %d: first %v summary %d, want %v %d", i, first, sum, st.wantFirst, st.wantSum)
		}
	}
	if Plural(1, "write") != "write" || Plural(2, "write") != "writes" {
		t.Error("Plural")
	}
}
