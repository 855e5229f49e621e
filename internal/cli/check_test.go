package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestCheckCommand covers what strait check does besides checking peers
// (internal/check and test/interop cover those): how it finds the
// configuration, its exit statuses and its report when nothing is TLS.
func TestCheckCommand(t *testing.T) {
	dir := t.TempDir()
	main := writeConf(t, dir, "strait.conf", okConf)
	writeConf(t, dir, "upstreams.conf", "upstream backend { server 127.0.0.1:9000; }\n")

	code, out, errs := runCLI(t, dir, "check", "-c", "strait.conf")
	if code != 0 || errs != "" || !strings.Contains(out, "strait check: "+main+"\n") ||
		!strings.Contains(out, "no server block has proxy_ssl on; nothing to check") {
		t.Errorf("no TLS server: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, _ = runCLI(t, dir, "check", "-p", dir, "-c", "strait.conf", "--json")
	var rep struct {
		Version int   `json:"version"`
		OK      bool  `json:"ok"`
		Servers []any `json:"servers"`
	}
	if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil || rep.Version != 1 || !rep.OK || rep.Servers == nil {
		t.Errorf("--json: exit %d, %v, %+v\n%s", code, err, rep, out)
	}

	code, _, errs = runCLI(t, dir, "check", "-c", "missing.conf")
	if code != 2 || !strings.Contains(errs, "[emerg]") {
		t.Errorf("missing file: exit %d, stderr %q; want 2 and an emerg line", code, errs)
	}
	code, _, errs = runCLI(t, dir, "check", "-x")
	if code != 2 || !strings.Contains(errs, "-x") {
		t.Errorf("unknown flag: exit %d, stderr %q", code, errs)
	}
	code, _, _ = runCLI(t, dir, "check", "extra")
	if code != 2 {
		t.Errorf("stray argument: exit %d, want 2", code)
	}
}
