package cipherlist

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "regenerate testdata/golden from the real `openssl ciphers`")

// TestGolden compares Evaluate with the recorded output of OpenSSL 3.0 for
// every corpus expression. With -update it rewrites the golden files from
// the openssl binary on this machine instead.
func TestGolden(t *testing.T) {
	exprs := readCorpus(t)
	if len(exprs) < 60 {
		t.Fatalf("corpus has %d expressions, want at least 60", len(exprs))
	}
	if *update {
		regenerate(t, exprs)
	}
	for _, expr := range exprs {
		t.Run(filepath.Base(goldenPath(expr)), func(t *testing.T) {
			want, err := os.ReadFile(goldenPath(expr))
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			ids, err := Evaluate(expr)
			if got := render(expr, ids, err); got != string(want) {
				t.Errorf("Evaluate(%q):\n%s\nopenssl:\n%s", expr, got, want)
			}
		})
	}
}

// regenerate writes one golden file per expression from openssl and removes
// golden files no expression uses any more.
func regenerate(t *testing.T, exprs []string) {
	bin := requireOpenSSL(t)
	if err := os.MkdirAll(goldenDir, 0o755); err != nil {
		t.Fatal(err)
	}
	keep := map[string]bool{}
	for _, expr := range exprs {
		ids, err := opensslResult(t, bin, expr)
		path := goldenPath(expr)
		keep[path] = true
		if err := os.WriteFile(path, []byte(render(expr, ids, err)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old, err := filepath.Glob(filepath.Join(goldenDir, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range old {
		if !keep[path] {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
		}
	}
}
