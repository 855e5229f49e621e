//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// report is everything written at the end of a run.
type report struct {
	Date    time.Time
	Elapsed time.Duration
	Options options
	Sizes   sizes
	Machine machineInfo
	Results *results
	Pending map[string]string // target -> why its column is empty
}

// pendingMark is shown in the cells of a target that did not run.
const pendingMark = "pending†"

func (r report) table() table {
	t := buildTable(metricTable(), r.Results.medians(), r.Options.Targets)
	for _, e := range r.Options.Engines {
		t.PlainOnly = append(t.PlainOnly, e.Name)
	}
	return t
}

// command is the command line that produced the report.
func (r report) command() string {
	parts := []string{"go run ./bench"}
	for _, a := range r.Options.Args {
		if a == "" || strings.ContainsAny(a, " '\"$") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// markdown renders latest.md.
func (r report) markdown(t table) string {
	marks := map[string]string{}
	for name := range r.Pending {
		marks[name] = pendingMark
	}
	var b strings.Builder
	kind := "full run"
	if r.Options.Quick {
		kind = "quick smoke run (short durations: numbers are indicative only)"
	}
	fmt.Fprintf(&b, "# strait benchmark: latest results\n\n")
	fmt.Fprintf(&b, "- date: %s (took %s)\n- command: `%s`\n- kind: %s, %d round(s), medians over rounds\n\n",
		r.Date.Format("2006-01-02 15:04 MST"), r.Elapsed.Round(time.Second), r.command(), kind, r.Options.Rounds)
	b.WriteString(t.markdown(marks))
	b.WriteString("\n↓ lower is better. Ratios are strait's median over the peer's. " +
		"`direct` is the client talking straight to the upstream (TLS where the upstream speaks TLS): the physical limit. " +
		"Proxy CPU is utime+stime of every proxy process (nginx master and workers, haproxy, strait) from /proc.\n\n")
	if len(r.Options.Engines) > 0 {
		b.WriteString("Prototype engines (-engine) run only the scenarios whose routes are all plain TCP; n/a marks the others.\n\n")
		if rt := t.ratiosTo(nameNginx); rt != "" {
			b.WriteString("### Every column over nginx\n\n" + rt + "\n")
		}
	}
	b.WriteString("![strait/peer ratios](latest.png)\n\n")
	if notes := r.notes(); notes != "" {
		b.WriteString("## Notes\n\n" + notes + "\n")
	}
	b.WriteString("## Machine\n\n" + r.Machine.markdown() + "\n")
	s := r.Sizes
	fmt.Fprintf(&b, "## Load\n\n- requests: redis-benchmark -t ping,set,get -c 50 -P 1 -n %d (per test)\n"+
		"- connections: %d clients for %s, each connect, PING, +PONG, close\n"+
		"- bulk: %d MiB through 1 session and split over 16 sessions\n"+
		"- latency: %d round trips of 64 bytes on one connection\n"+
		"- idle memory: %d sessions held open through the proxy%s\n",
		s.RedisRequests, s.ConnWorkers, s.ConnDuration, s.BulkBytes>>20, s.LatencyCount, s.IdleSessions, idleNote(s))
	return b.String()
}

// docSection is what goes between the markers of docs/performance.md.
func (r report) docSection(t table) string {
	marks := map[string]string{}
	for name := range r.Pending {
		marks[name] = pendingMark
	}
	var b strings.Builder
	kind := fmt.Sprintf("%d rounds, medians", r.Options.Rounds)
	if r.Options.Quick {
		kind = "quick smoke run, 1 round: indicative only"
	}
	fmt.Fprintf(&b, "Measured %s with `%s` (%s).\n\n", r.Date.Format("2006-01-02"), r.command(), kind)
	b.WriteString(t.markdown(marks))
	b.WriteString("\n↓ lower is better; ratios are strait's median over the peer's.\n\n")
	b.WriteString("![strait/peer ratios](../bench/results/latest.png)\n\n")
	if notes := r.notes(); notes != "" {
		b.WriteString(notes + "\n")
	}
	b.WriteString("Machine:\n\n" + r.Machine.markdown())
	return b.String()
}

func (r report) notes() string {
	var b strings.Builder
	names := make([]string, 0, len(r.Pending))
	for n := range r.Pending {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "- † %s: %s\n", n, oneLine(r.Pending[n]))
	}
	facts := make([]string, 0, len(r.Results.facts))
	for f := range r.Results.facts {
		facts = append(facts, f)
	}
	sort.Strings(facts)
	for _, f := range facts {
		var parts []string
		for _, t := range r.Options.Targets {
			if v, ok := r.Results.facts[f][t]; ok {
				parts = append(parts, t+": "+v)
			}
		}
		fmt.Fprintf(&b, "- %s: %s\n", f, strings.Join(parts, "; "))
	}
	scs := make([]string, 0, len(r.Results.errors))
	for sc := range r.Results.errors {
		scs = append(scs, sc)
	}
	sort.Strings(scs)
	for _, sc := range scs {
		for _, t := range r.Options.Targets {
			if e, ok := r.Results.errors[sc][t]; ok {
				fmt.Fprintf(&b, "- %s on %s failed: %s\n", sc, t, oneLine(e))
			}
		}
	}
	return b.String()
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// jsonReport is latest.json: every round's values, for later analysis.
type jsonReport struct {
	Date    time.Time                       `json:"date"`
	Command string                          `json:"command"`
	Rounds  int                             `json:"rounds"`
	Quick   bool                            `json:"quick"`
	Machine machineInfo                     `json:"machine"`
	Values  map[string]map[string][]float64 `json:"values"`
	Medians map[string]map[string]float64   `json:"medians"`
	Errors  map[string]map[string]string    `json:"errors"`
	Facts   map[string]map[string]string    `json:"facts"`
	Pending map[string]string               `json:"pending"`
}

// write prints the table and writes latest.md, latest.png and latest.json
// into dir.
func (r report) write(dir string, stdout io.Writer) error {
	t := r.table()
	md := r.markdown(t)
	fmt.Fprintln(stdout, md)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("results dir: %w", err)
	}
	title := "STRAIT / PEER RATIOS"
	if r.Options.Quick {
		title += " - QUICK RUN, INDICATIVE ONLY"
	}
	png, err := renderChart(t, title)
	if err != nil {
		return err
	}
	meds := r.Results.medians()
	jr := jsonReport{Date: r.Date, Command: r.command(), Rounds: r.Options.Rounds, Quick: r.Options.Quick,
		Machine: r.Machine, Values: r.Results.values, Medians: finite(meds), Errors: r.Results.errors, Facts: r.Results.facts, Pending: r.Pending}
	js, err := json.MarshalIndent(jr, "", "  ")
	if err != nil {
		return fmt.Errorf("encode results: %w", err)
	}
	files := map[string][]byte{"latest.md": []byte(md), "latest.png": png, "latest.json": append(js, '\n')}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	fmt.Fprintf(stdout, "wrote %s/latest.{md,png,json}\n", dir)
	if r.Options.Doc != "" {
		// The results files are written; a missing document is only worth
		// a warning.
		if err := updateDoc(r.Options.Doc, r.docSection(t)); err != nil {
			fmt.Fprintf(stdout, "bench: warning: %v\n", err)
		} else {
			fmt.Fprintf(stdout, "updated the results section of %s\n", r.Options.Doc)
		}
	}
	return nil
}

// finite drops NaN medians, which JSON cannot carry.
func finite(m map[string]map[string]float64) map[string]map[string]float64 {
	out := map[string]map[string]float64{}
	for k, byT := range m {
		for t, v := range byT {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				if out[k] == nil {
					out[k] = map[string]float64{}
				}
				out[k][t] = v
			}
		}
	}
	return out
}

func idleNote(s sizes) string {
	if !s.IdleCapped {
		return ""
	}
	return " (fewer than planned: capped so two descriptors per session fit under RLIMIT_NOFILE)"
}
