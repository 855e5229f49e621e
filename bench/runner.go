//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// resolveTargets turns target names into runnable targets. strait is built
// from ./cmd/strait unless -strait names a binary; when that fails its
// column stays empty and pending says why.
func resolveTargets(ctx context.Context, o options, tmp string, log io.Writer) ([]target, map[string]string, string) {
	pending := map[string]string{}
	var out []target
	var straitBin string
	for _, name := range o.Targets {
		switch name {
		case nameNginx:
			out = append(out, nginxTarget("nginx"))
		case nameHAProxy:
			out = append(out, haproxyTarget("haproxy"))
		case nameDirect:
			out = append(out, directTarget())
		default:
			i := slices.IndexFunc(o.Engines, func(e engineSpec) bool { return e.Name == name })
			if i < 0 {
				continue
			}
			if err := engineBinary(o.Engines[i].Path); err != nil {
				pending[name] = err.Error()
				fmt.Fprintf(log, "bench: %s column stays empty: %v\n", name, err)
				continue
			}
			out = append(out, engineTarget(o.Engines[i]))
		case nameStrait:
			bin, err := straitBinary(ctx, o.StraitBin, tmp)
			if err != nil {
				pending[nameStrait] = err.Error()
				fmt.Fprintf(log, "bench: strait column stays empty: %v\n", err)
				continue
			}
			straitBin = bin
			out = append(out, straitTarget(bin))
		}
	}
	return out, pending, straitBin
}

func straitBinary(ctx context.Context, given, tmp string) (string, error) {
	if given != "" {
		if _, err := os.Stat(given); err != nil {
			return "", fmt.Errorf("strait binary: %w", err)
		}
		return given, nil
	}
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(tmp, "strait")
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/strait")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		first, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
		return "", fmt.Errorf("not built yet (go build ./cmd/strait: %s)", first)
	}
	return bin, nil
}

// moduleRoot finds the directory holding go.mod above the working
// directory, bounded in depth.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for range 32 {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", fmt.Errorf("no go.mod above the working directory: run from the strait checkout")
}

// runRounds runs every selected scenario on every target, interleaved:
// round 1 runs scenario 1 on A, B, C, then scenario 2 on A, B, C, and so
// on; each run gets a freshly started proxy. A target that fails to start
// is not started again and its reason goes to pending.
func runRounds(ctx context.Context, w *world, o options, sz sizes, targets []target, pending map[string]string, log io.Writer) *results {
	res := newResults()
	for round := 1; round <= o.Rounds; round++ {
		for _, sc := range o.selectedScenarios() {
			for _, t := range targets {
				if ctx.Err() != nil {
					return res
				}
				if _, broken := pending[t.Name]; broken || !sc.runsOn(t) {
					continue
				}
				began := time.Now()
				values, err := runOne(ctx, w, t, sc, sz, pending, res)
				if ctx.Err() != nil {
					return res
				}
				for id, v := range values {
					res.add(id, t.Name, v)
				}
				status := formatValues(values)
				if err != nil {
					res.fail(sc.Name, t.Name, err)
					status += " error: " + firstLine(err.Error())
				}
				fmt.Fprintf(log, "[round %d/%d] %-12s %-8s %s (%.1fs)\n", round, o.Rounds, sc.Name, t.Name, status, time.Since(began).Seconds())
				settle(ctx, 200*time.Millisecond)
			}
		}
	}
	return res
}

// runsOn reports whether the scenario applies to a target: the direct
// baseline has no proxy to measure in NoDirect scenarios, Skip lists
// targets that cannot do it, and prototype engines run only plain TCP
// scenarios.
func (sc scenario) runsOn(t target) bool {
	switch {
	case sc.NoDirect && t.start == nil, slices.Contains(sc.Skip, t.Name):
		return false
	case t.PlainOnly:
		return sc.PlainTCP
	}
	return true
}

func runOne(ctx context.Context, w *world, t target, sc scenario, sz sizes, pending map[string]string, res *results) (map[string]float64, error) {
	in, err := w.launch(ctx, t)
	if err != nil {
		pending[t.Name] = "did not start: " + err.Error()
		return nil, err
	}
	defer w.finish(in)
	defer func() {
		for k, v := range in.facts {
			res.note(k, t.Name, v)
		}
	}()
	if exited, werr := procExited(in); exited {
		return nil, fmt.Errorf("%s exited: %v", t.Name, werr)
	}
	values, err := sc.run(ctx, w, in, sz)
	if exited, werr := procExited(in); exited {
		return values, fmt.Errorf("%s exited during the run: %v", t.Name, werr)
	}
	return values, err
}

func procExited(in *instance) (bool, error) {
	if in.proc == nil {
		return false, nil
	}
	return in.proc.Exited()
}

func formatValues(vs map[string]float64) string {
	keys := make([]string, 0, len(vs))
	for k := range vs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%.4g", k, vs[k]))
	}
	return strings.Join(parts, " ")
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func contains(xs []string, s string) bool { return slices.Contains(xs, s) }
