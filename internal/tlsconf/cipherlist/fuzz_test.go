package cipherlist

import (
	"errors"
	"testing"
)

// FuzzEvaluate checks that no input panics, that a result is either a
// non-empty list of distinct, selectable catalog suites or one of the two
// documented errors.
func FuzzEvaluate(f *testing.F) {
	for _, expr := range readCorpus(f) {
		f.Add(expr)
	}
	selectable := map[uint16]bool{}
	for _, s := range Suites() {
		selectable[s.ID] = !s.Weak
	}
	f.Fuzz(func(t *testing.T, expr string) {
		ids, err := Evaluate(expr)
		if err != nil {
			if !errors.Is(err, ErrNoCipherMatch) && !errors.Is(err, ErrInvalidCommand) {
				t.Fatalf("Evaluate(%q): unexpected error %v", expr, err)
			}
			if ids != nil {
				t.Fatalf("Evaluate(%q) returned %v with error %v", expr, ids, err)
			}
			return
		}
		if len(ids) == 0 {
			t.Fatalf("Evaluate(%q) returned an empty list without error", expr)
		}
		seen := map[uint16]bool{}
		for _, id := range ids {
			if !selectable[id] {
				t.Fatalf("Evaluate(%q) returned 0x%04X, not a selectable suite", expr, id)
			}
			if seen[id] {
				t.Fatalf("Evaluate(%q) returned 0x%04X twice", expr, id)
			}
			seen[id] = true
		}
	})
}
