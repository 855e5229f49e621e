package straittest

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// pickThenBind matches the ways tests used to obtain a port number to bind
// later: helpers named for it, or a listener closed right after its
// address was read. Both race with every other process on the machine.
var pickThenBind = []*regexp.Regexp{
	regexp.MustCompile(`\b(FreeAddr|FreePort|FreePortRange|freeAddr|freePort)\(`),
	// ln, _ := net.Listen(...); addr := ln.Addr().String(); ln.Close()
	regexp.MustCompile(`(?s)net\.Listen\("tcp",[^\n]*:0"\)[^{}]{0,200}?\.Addr\(\)[^{}]{0,120}?\.Close\(\)`),
	// defer ln.Close(); return ln.Addr().String()
	regexp.MustCompile(`(?s)defer (\w+)\.Close\(\)\s*return \w+\.Addr\(\)`),
}

// TestNoTestPicksAPortToBindLater reads every Go file of the module and
// fails on a pick-then-bind: a test binds 127.0.0.1:0 and keeps the socket
// (see listen.go), or holds a port with RefusedAddr.
func TestNoTestPicksAPortToBindLater(t *testing.T) {
	root := moduleRoot(t)
	self, _ := filepath.Abs("guard_test.go")
	checked := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata" || d.Name() == "vendor") {
			return filepath.SkipDir
		}
		if d.IsDir() || filepath.Ext(path) != ".go" || path == self {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		checked++
		for _, re := range pickThenBind {
			if loc := re.FindIndex(b); loc != nil {
				line := 1 + bytes.Count(b[:loc[0]], []byte("\n"))
				rel, _ := filepath.Rel(root, path)
				t.Errorf("%s:%d picks a port to bind later (%q): bind 127.0.0.1:0 and hand the socket over instead",
					rel, line, b[loc[0]:loc[1]])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("checked only %d Go files under %s", checked, root)
	}
}

// moduleRoot is the directory holding go.mod, above this package.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the package")
		}
		dir = parent
	}
}
