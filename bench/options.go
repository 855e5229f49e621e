//go:build linux

package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// options are the command-line settings of one run.
type options struct {
	Quick     bool
	Rounds    int
	Only      []string // scenario names; empty means all
	Targets   []string // strait, nginx, haproxy, direct
	Out       string
	StraitBin string // prebuilt strait; empty builds ./cmd/strait
	Doc       string // document whose results section is rewritten; empty: none
	// Engines are prototype proxies given with -engine, each a column
	// after Targets' built-in ones (their names are in Targets too).
	Engines []engineSpec
	Args    []string
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	var only, proxies string
	fs.BoolVar(&o.Quick, "quick", false, "smoke run: 1 round, short durations, under 2 minutes")
	fs.IntVar(&o.Rounds, "rounds", 3, "rounds; each round runs every scenario on every target in turn")
	fs.StringVar(&only, "only", "", "comma-separated scenarios (default all): "+strings.Join(scenarioNames(), ","))
	fs.StringVar(&proxies, "proxies", "strait,nginx,haproxy,direct", "comma-separated targets: strait, nginx, haproxy, direct (the baseline without proxy)")
	fs.StringVar(&o.Out, "out", "bench/results", "directory for latest.md, latest.png and latest.json")
	fs.StringVar(&o.Doc, "doc", "docs/performance.md", "document whose marked results section gets the table (empty: leave docs alone)")
	fs.StringVar(&o.StraitBin, "strait", "", "strait binary to use instead of building ./cmd/strait")
	fs.Var((*engineFlag)(&o.Engines), "engine", "NAME=PATH: add a column NAME running the prototype PATH -route LISTEN=UPSTREAM ... "+
		"(plain TCP only; it runs in scenarios whose routes are all plain TCP); repeatable")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if o.Quick && !flagGiven(fs, "rounds") {
		o.Rounds = 1
	}
	if o.Rounds < 1 || o.Rounds > 50 {
		return o, fmt.Errorf("-rounds %d: want 1..50", o.Rounds)
	}
	o.Args = args
	var err error
	if o.Only, err = splitChoices(only, scenarioNames(), "-only"); err != nil {
		return o, err
	}
	if o.Targets, err = splitChoices(proxies, []string{nameStrait, nameNginx, nameHAProxy, nameDirect}, "-proxies"); err != nil {
		return o, err
	}
	for _, e := range o.Engines {
		if slices.Contains(o.Targets, e.Name) {
			return o, fmt.Errorf("-engine %s: name already used by -proxies", e.Name)
		}
		o.Targets = append(o.Targets, e.Name)
	}
	if len(o.Targets) == 0 {
		return o, fmt.Errorf("-proxies: no target given")
	}
	return o, nil
}

func flagGiven(fs *flag.FlagSet, name string) bool {
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

// splitChoices splits a comma list, rejecting names outside allowed and
// duplicates, keeping the given order.
func splitChoices(s string, allowed []string, flagName string) ([]string, error) {
	var out []string
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if !slices.Contains(allowed, part) {
			return nil, fmt.Errorf("%s: unknown %q (choose from %s)", flagName, part, strings.Join(allowed, ", "))
		}
		if !slices.Contains(out, part) {
			out = append(out, part)
		}
	}
	return out, nil
}

func scenarioNames() []string {
	var names []string
	for _, s := range scenarioTable() {
		names = append(names, s.Name)
	}
	return names
}

// selectedScenarios returns the scenarios to run, in table order.
func (o options) selectedScenarios() []scenario {
	var out []scenario
	for _, s := range scenarioTable() {
		if len(o.Only) == 0 || slices.Contains(o.Only, s.Name) {
			out = append(out, s)
		}
	}
	return out
}

func (o options) sizes() sizes {
	if o.Quick {
		return quickSizes()
	}
	return fullSizes()
}
