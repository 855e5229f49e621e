//go:build linux

package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// table is the rendered comparison: medians per target, strait's ratio to
// each peer and whether each target was met.
type table struct {
	Targets []string // columns, in the order given
	Peers   []string // ratio columns: strait/peer
	Rows    []row
	// PlainOnly are prototype engines: they run only plain TCP scenarios,
	// so their cells in other rows read "n/a" (not applicable).
	PlainOnly []string
}

type row struct {
	Metric metric
	Values map[string]float64 // target -> median, only those measured
	Ratios map[string]float64 // peer -> strait/peer, NaN when undefined
	Status string             // "met", "NOT MET ...", "no data" or "" without a goal
}

// buildTable makes the table from medians; rows nobody measured are left
// out.
func buildTable(metrics []metric, med map[string]map[string]float64, targets []string) table {
	t := table{Targets: targets}
	if slices.Contains(targets, nameStrait) {
		for _, p := range targets {
			if p == nameNginx || p == nameHAProxy {
				t.Peers = append(t.Peers, p)
			}
		}
	}
	for _, m := range metrics {
		r := row{Metric: m, Values: map[string]float64{}, Ratios: map[string]float64{}}
		for _, name := range targets {
			if v, ok := med[m.ID][name]; ok && !math.IsNaN(v) {
				r.Values[name] = v
			}
		}
		if len(r.Values) == 0 {
			continue
		}
		s, haveS := r.Values[nameStrait]
		for _, p := range t.Peers {
			pv, ok := r.Values[p]
			r.Ratios[p] = math.NaN()
			if haveS && ok {
				r.Ratios[p] = ratio(s, pv)
			}
		}
		r.Status = goalStatus(m, r.Values, targets)
		t.Rows = append(t.Rows, r)
	}
	return t
}

// ratio is s/p where that means something: both non-negative, p > 0.
func ratio(s, p float64) float64 {
	if p <= 0 || s < 0 {
		return math.NaN()
	}
	return s / p
}

// goalMet compares strait's value s with a peer's value p. It compares
// values rather than the ratio so that a peer's zero or negative value
// (added latency can be below zero) still gives an answer.
func goalMet(g goal, higher bool, s, p float64) bool {
	if higher {
		return s >= g.Ratio*p
	}
	return s <= g.Ratio*p
}

func goalStatus(m metric, values map[string]float64, targets []string) string {
	if m.Target == nil {
		return ""
	}
	s, ok := values[nameStrait]
	if !ok {
		return "no data"
	}
	var missed []string
	for _, p := range m.Target.Peers {
		if !slices.Contains(targets, p) {
			continue
		}
		pv, ok := values[p]
		if !ok {
			return "no data"
		}
		if !goalMet(*m.Target, m.Higher, s, pv) {
			missed = append(missed, p)
		}
	}
	if len(missed) > 0 {
		return "NOT MET (" + strings.Join(missed, ", ") + ")"
	}
	return "met"
}

// goalText describes a goal for the table, e.g. "≥ 1.15× nginx, haproxy".
func goalText(m metric) string {
	if m.Target == nil {
		return ""
	}
	op := "≤"
	if m.Higher {
		op = "≥"
	}
	return fmt.Sprintf("%s %.2f× %s", op, m.Target.Ratio, strings.Join(m.Target.Peers, ", "))
}

func formatValue(v float64, digits int) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return fmt.Sprintf("%.*f", digits, v)
}

func formatRatio(r float64) string {
	if math.IsNaN(r) {
		return "n/a"
	}
	return fmt.Sprintf("%.2f×", r)
}

// markdown renders the table; missing cells show missingMark[target] or
// "—".
func (t table) markdown(missingMark map[string]string) string {
	var b strings.Builder
	head := []string{"metric"}
	head = append(head, t.Targets...)
	for _, p := range t.Peers {
		head = append(head, "strait/"+p)
	}
	head = append(head, "target", "status")
	b.WriteString("| " + strings.Join(head, " | ") + " |\n")
	b.WriteString("|" + strings.Repeat(" --- |", len(head)) + "\n")
	for _, r := range t.Rows {
		label := r.Metric.Label
		if !r.Metric.Higher {
			label += " ↓"
		}
		cells := []string{label}
		for _, name := range t.Targets {
			v, ok := r.Values[name]
			switch {
			case ok:
				cells = append(cells, formatValue(v, r.Metric.Digits))
			case slices.Contains(t.PlainOnly, name) && !plainMetric(r.Metric.ID):
				cells = append(cells, "n/a")
			case missingMark[name] != "":
				cells = append(cells, missingMark[name])
			default:
				cells = append(cells, "—")
			}
		}
		for _, p := range t.Peers {
			if r.Metric.NoRatio {
				cells = append(cells, "")
				continue
			}
			cells = append(cells, formatRatio(r.Ratios[p]))
		}
		cells = append(cells, goalText(r.Metric), r.Status)
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	return b.String()
}

// ratiosTo renders every target's median over base's for the rows of
// plain TCP scenarios, the ones prototype engines take part in; "" when
// base is not a column.
func (t table) ratiosTo(base string) string {
	if !slices.Contains(t.Targets, base) {
		return ""
	}
	var others []string
	for _, name := range t.Targets {
		if name != base && name != nameDirect {
			others = append(others, name)
		}
	}
	var b strings.Builder
	b.WriteString("| metric | " + strings.Join(others, " | ") + " |\n")
	b.WriteString("|" + strings.Repeat(" --- |", len(others)+1) + "\n")
	for _, r := range t.Rows {
		bv, ok := r.Values[base]
		if !plainMetric(r.Metric.ID) || !ok {
			continue
		}
		label := r.Metric.Label
		if !r.Metric.Higher {
			label += " ↓"
		}
		cells := []string{label}
		for _, name := range others {
			v, ok := r.Values[name]
			if !ok {
				cells = append(cells, "—")
				continue
			}
			cells = append(cells, formatRatio(ratio(v, bv)))
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	return b.String()
}
