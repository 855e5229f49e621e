package cli

import (
	"slices"
	"testing"
)

func TestParseInheritVarAsNginx(t *testing.T) {
	for _, tc := range []struct {
		in      string
		fds     []int
		problem string
	}{
		{"3;4;", []int{3, 4}, ""},
		{"3:4:", []int{3, 4}, ""},
		// nginx ignores a number without its ';'; strait takes it.
		{"3;4", []int{3, 4}, ""},
		{"", nil, ""},
		{"3;x;5;", []int{3}, `invalid socket number "x;5;" in STRAIT environment variable, ignoring the rest of the variable`},
		{"1;", nil, `invalid socket number "1;" in STRAIT environment variable, ignoring the rest of the variable`},
	} {
		fds, problem := parseInheritVar(tc.in)
		if !slices.Equal(fds, tc.fds) || problem != tc.problem {
			t.Errorf("%q: %v %q, want %v %q", tc.in, fds, problem, tc.fds, tc.problem)
		}
	}
}
