//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// engineSpec is a prototype proxy given with -engine NAME=PATH. It is
// started as PATH -route LISTEN=UPSTREAM [-route ...], one process,
// plain TCP only, silent on success and ended with SIGTERM.
type engineSpec struct {
	Name string
	Path string
}

// engineName is what a column name given with -engine may look like.
var engineName = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,15}$`)

// engineFlag collects repeated -engine NAME=PATH flags.
type engineFlag []engineSpec

func (f *engineFlag) String() string {
	if f == nil {
		return ""
	}
	parts := make([]string, len(*f))
	for i, e := range *f {
		parts[i] = e.Name + "=" + e.Path
	}
	return strings.Join(parts, ",")
}

func (f *engineFlag) Set(s string) error {
	name, path, ok := strings.Cut(s, "=")
	if !ok || path == "" {
		return fmt.Errorf("want NAME=PATH, got %q", s)
	}
	if !engineName.MatchString(name) {
		return fmt.Errorf("name %q: want lower-case letters, digits, - or _, at most 16, starting with a letter", name)
	}
	if slices.Contains([]string{nameStrait, nameNginx, nameHAProxy, nameDirect}, name) {
		return fmt.Errorf("name %q is a built-in target", name)
	}
	for _, e := range *f {
		if e.Name == name {
			return fmt.Errorf("name %q given twice", name)
		}
	}
	*f = append(*f, engineSpec{Name: name, Path: path})
	return nil
}

// engineTarget runs a prototype on the plain TCP routes only; the runner
// gives it only scenarios whose routes are all plain TCP.
func engineTarget(e engineSpec) target {
	return target{Name: e.Name, PlainOnly: true, start: func(ctx context.Context, w *world, dir string, listen map[string]string) (*process, error) {
		var args []string
		for _, r := range w.routes.sorted() {
			if r.plainTCP() {
				args = append(args, "-route", listen[r.ID]+"="+r.Upstream)
			}
		}
		return w.sup.start(e.Path, filepath.Join(dir, "stdout.log"), args...)
	}}
}

// engineBinary checks that a prototype can be run.
func engineBinary(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("engine binary: %w", err)
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return fmt.Errorf("engine binary %s is not executable", path)
	}
	return nil
}

// plainTCP reports whether a route is TCP without TLS to the upstream.
func (r route) plainTCP() bool { return !r.TLS && !r.UDP }

// plainMetric reports whether a metric comes from a scenario whose routes
// are all plain TCP, the only ones prototype engines run.
func plainMetric(id string) bool { return strings.HasPrefix(id, "plain-") }
