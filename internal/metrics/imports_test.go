package metrics

import (
	"os/exec"
	"strings"
	"testing"
)

// TestOnlyImporterOfPrometheus keeps the Prometheus client behind this
// package: everything else hands over a Snapshot.
func TestOnlyImporterOfPrometheus(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "github.com/straitproxy/strait/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, " ")
		if pkg == "github.com/straitproxy/strait/internal/metrics" {
			continue
		}
		for _, imp := range strings.Fields(imports) {
			if strings.HasPrefix(imp, "github.com/prometheus/") {
				t.Errorf("%s imports %s; only internal/metrics may", pkg, imp)
			}
		}
	}
}
