package config

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/ngxconf"
)

var update = flag.Bool("update", false, "rewrite golden files and docs/directives.md")

const corpusDir = "testdata/corpus"

// fakeResolve resolves the names the corpus uses without DNS:
// localhost, backendN.example.com -> 127.0.0.N, other example.com names
// and example.com itself -> 127.0.0.10; .invalid names do not exist.
func fakeResolve(host string) ([]string, error) {
	switch {
	case host == "localhost":
		return []string{"127.0.0.1", "::1"}, nil
	case strings.HasSuffix(host, ".invalid"):
		return nil, errors.New("no such host")
	case strings.HasPrefix(host, "backend") && strings.HasSuffix(host, ".example.com"):
		n := strings.TrimSuffix(strings.TrimPrefix(host, "backend"), ".example.com")
		return []string{"127.0.0." + n}, nil
	case host == "example.com" || strings.HasSuffix(host, ".example.com"):
		return []string{"127.0.0.10"}, nil
	}
	return nil, fmt.Errorf("unexpected lookup of %q", host)
}

// corpusFiles lists the corpus configurations.
func corpusFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(corpusDir, "*.conf"))
	if err != nil || len(files) < 45 {
		t.Fatalf("corpus has %d configurations (%v), want at least 45", len(files), err)
	}
	return files
}

// TestCorpus loads every corpus configuration and compares the result, a
// JSON dump of the Config or the exact error text, with its .golden file.
func TestCorpus(t *testing.T) {
	for _, file := range corpusFiles(t) {
		name := strings.TrimSuffix(filepath.Base(file), ".conf")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			abs, err := filepath.Abs(file)
			if err != nil {
				t.Fatal(err)
			}
			got := corpusOutput(abs)
			golden := strings.TrimSuffix(file, ".conf") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s:\n--- got\n%s\n--- want\n%s", golden, got, want)
			}
			isErr := strings.HasPrefix(name, "err-")
			if isErr != strings.HasPrefix(got, "error: ") {
				t.Errorf("%s: configurations named err-* must fail to load, others must load", name)
			}
		})
	}
}

// corpusOutput is the golden text for one configuration, with its
// directory written as $DIR so the files do not depend on the checkout.
func corpusOutput(file string) string {
	cfg, err := Load(LoadOptions{File: file, Resolve: fakeResolve})
	dir := filepath.Dir(file)
	if err != nil {
		return "error: " + strings.ReplaceAll(err.Error(), dir, "$DIR") + "\n"
	}
	cfg.Sources = nil
	b, err := json.MarshalIndent(dumpValue(reflect.ValueOf(cfg)), "", "  ")
	if err != nil {
		return "marshal: " + err.Error()
	}
	return strings.ReplaceAll(string(b), dir, "$DIR") + "\n"
}

// dumpValue turns a value into JSON-friendly data without zero fields,
// with durations as text and positions as FILE:LINE, so golden files stay
// short and readable.
func dumpValue(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return dumpValue(v.Elem())
	}
	switch x := v.Interface().(type) {
	case time.Duration:
		return x.String()
	case ngxconf.Pos:
		return x.String()
	case encoding.TextMarshaler: // netip.Prefix, netip.Addr
		b, err := x.MarshalText()
		if err != nil {
			return err.Error()
		}
		return string(b)
	}
	switch v.Kind() {
	case reflect.Struct:
		out := map[string]any{}
		for i := 0; i < v.NumField(); i++ {
			f := v.Field(i)
			if !v.Type().Field(i).IsExported() || f.IsZero() {
				continue
			}
			out[v.Type().Field(i).Name] = dumpValue(f)
		}
		return out
	case reflect.Slice, reflect.Array:
		out := make([]any, v.Len())
		for i := range out {
			out[i] = dumpValue(v.Index(i))
		}
		return out
	case reflect.Map:
		out := map[string]any{}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		for _, k := range keys {
			out[k.String()] = dumpValue(v.MapIndex(k))
		}
		return out
	}
	return v.Interface()
}

// nginxSkip returns the reason a corpus file gives for not comparing
// with nginx ("# nginx-skip: reason" on its first line), or "".
func nginxSkip(text []byte) string {
	first, _, _ := bytes.Cut(text, []byte("\n"))
	reason, ok := bytes.CutPrefix(first, []byte("# nginx-skip:"))
	if !ok {
		return ""
	}
	return strings.TrimSpace(string(reason))
}
