package cli

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/straitproxy/strait/internal/straittest"
)

var updateMan = flag.Bool("update", false, "rewrite packaging/strait.8 from the option table")

const manFile = "../../packaging/strait.8"

func renderMan(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteManPage(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestManPageIsCurrent keeps the committed man page, which people read in
// the repository, equal to what the package ships.
func TestManPageIsCurrent(t *testing.T) {
	got := renderMan(t)
	if *updateMan {
		if err := os.WriteFile(manFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(manFile)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/cli -run TestManPageIsCurrent -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("packaging/strait.8 is out of date with the option table; run go test ./internal/cli -run TestManPageIsCurrent -update")
	}
}

// TestOptionsMatchParser ties the table to parseFlags both ways: every
// documented option parses, and every letter the parser takes is
// documented.
func TestOptionsMatchParser(t *testing.T) {
	documented := map[byte]bool{}
	for _, e := range options {
		for _, name := range strings.Split(e.name, ",") {
			documented[name[1]] = true
			args := []string{name}
			if e.arg != "" {
				args = append(args, "reload") // a valid value for every option, -s included
			}
			if _, err := parseFlags(args); err != nil {
				t.Errorf("documented option %s: %v", name, err)
			}
		}
	}
	for c := byte('!'); c <= '~'; c++ {
		_, alone := parseFlags([]string{"-" + string(c)})
		_, withValue := parseFlags([]string{"-" + string(c), "reload"})
		if accepted := alone == nil || withValue == nil; accepted != documented[c] {
			t.Errorf("-%c: the parser accepts it: %v, -h documents it: %v", c, accepted, documented[c])
		}
	}
	for _, e := range commands {
		if f, err := parseFlags([]string{e.name}); err != nil || f.command != e.name {
			t.Errorf("documented command %s: %v", e.name, err)
		}
	}
}

// TestManPageRenders formats the page as man(1) does for an 80-column
// terminal; groff's warnings (a bad escape, an unknown request) go to
// standard error, which must stay empty.
func TestManPageRenders(t *testing.T) {
	man := straittest.Tool(t, "man")
	cmd := exec.Command(man, "-l", manFile)
	// man(1) formats plain text for a pipe; LC_ALL=C keeps dashes ASCII.
	cmd.Env = append(os.Environ(), "MANWIDTH=80", "LC_ALL=C", "MANPAGER=cat")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("man -l: %v\n%s", err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("man -l warned:\n%s", stderr.String())
	}
	text := stdout.String()
	for _, want := range []string{"OPTIONS", "-g directives", "SIGNALS", "NOTIFY_SOCKET", "-s signal"} {
		if !strings.Contains(text, want) {
			t.Errorf("rendered page lacks %q", want)
		}
	}
}
