package config

import (
	"os"
	"strings"
	"testing"
)

const directivesDoc = "../../docs/directives.md"

// TestDirectivesDoc keeps docs/directives.md equal to what the table
// generates; run with -update after changing the table.
func TestDirectivesDoc(t *testing.T) {
	want := ReferenceMarkdown()
	if *update {
		if err := os.WriteFile(directivesDoc, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(directivesDoc)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/config -run TestDirectivesDoc -update)", err)
	}
	if string(got) != want {
		t.Errorf("docs/directives.md is out of date with the directive table; run go test ./internal/config -run TestDirectivesDoc -update")
	}
	for _, d := range Directives() {
		if !strings.Contains(want, "\n### "+d.Name+"\n") {
			t.Errorf("reference lacks %q", d.Name)
		}
	}
}
