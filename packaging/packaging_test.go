// Package packaging holds strait's Debian packaging (build-deb.sh, the
// systemd unit, the sample configuration, logrotate and tmpfiles files,
// maintainer scripts) and tests that those files agree with each other
// and with strait: the unit passes systemd-analyze verify, the sample
// configuration passes strait -t as shipped and with its example
// uncommented, and the copyright file names every linked module.
package packaging

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/cli"
	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/straittest"
	"github.com/straitproxy/strait/internal/testpki"
)

// unitSettings reads the Key=Value lines of the unit, a key's values in
// order.
func unitSettings(t *testing.T) map[string][]string {
	t.Helper()
	b, err := os.ReadFile("strait.service")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			out[k] = append(out[k], v)
		}
	}
	return out
}

// TestUnitVerifies runs systemd-analyze verify on the unit, with the
// binary path pointing at a strait built for the test (verify checks that
// the commands exist). The man page link is checked after installation by
// .ci/run, where the page is installed. verify exits 0 on unknown keys,
// so any output fails the test too.
func TestUnitVerifies(t *testing.T) {
	analyze := straittest.Tool(t, "systemd-analyze")
	bin := buildStrait(t)
	unit, err := os.ReadFile("strait.service")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "strait.service")
	if err := os.WriteFile(path, bytes.ReplaceAll(unit, []byte("/usr/sbin/strait"), []byte(bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", "--man=no", path).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

func buildStrait(t *testing.T) string {
	t.Helper()
	gobin := straittest.Tool(t, "go")
	bin := filepath.Join(t.TempDir(), "strait")
	cmd := exec.Command(gobin, "build", "-o", bin, "github.com/straitproxy/strait/cmd/strait")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestUnitAndSampleAgree checks the paths that the unit, the sample
// configuration, tmpfiles.d and logrotate must share.
func TestUnitAndSampleAgree(t *testing.T) {
	cfg, err := config.Load(config.LoadOptions{File: mustAbs(t, "strait.conf")})
	if err != nil {
		t.Fatal(err)
	}
	unit := unitSettings(t)
	if got := unit["RuntimeDirectory"]; len(got) != 1 || "/run/"+got[0] != filepath.Dir(cfg.Main.PIDFile) {
		t.Errorf("pid file %s is not in the unit's RuntimeDirectory=%v", cfg.Main.PIDFile, got)
	}
	if regexp.MustCompile(`(?m)^\s*daemon\s`).Match(mustRead(t, "strait.conf")) {
		t.Errorf("the sample sets daemon; the unit adds -g 'daemon off;', which would then be a duplicate")
	}
	if got := unit["ExecStart"]; len(got) != 1 || !strings.Contains(got[0], "-g 'daemon off;'") {
		t.Errorf("ExecStart=%v, want strait in the foreground for Type=notify", got)
	}
	logDir := unit["ReadWritePaths"]
	// Stream-level access_log is kept per server, and the sample's
	// servers are commented out, so read the log paths from the text.
	text := mustRead(t, "strait.conf")
	logs := regexp.MustCompile(`(?m)^\s*(?:error|access)_log\s+(\S+)`).FindAllSubmatch(text, -1)
	if len(logs) != 2 {
		t.Fatalf("found %d log paths in the sample, want error_log and access_log", len(logs))
	}
	for _, m := range logs {
		p := string(m[1])
		if len(logDir) != 1 || filepath.Dir(p) != logDir[0] {
			t.Errorf("log %s is outside ReadWritePaths=%v", p, logDir)
		}
		if !strings.HasSuffix(p, ".log") {
			t.Errorf("log %s does not match logrotate's *.log", p)
		}
	}
	for file, want := range map[string]string{
		"strait.tmpfiles":  filepath.Dir(cfg.Main.PIDFile) + " ",
		"strait.logrotate": logDir[0] + "/*.log",
	} {
		if b, err := os.ReadFile(file); err != nil || !bytes.Contains(b, []byte(want)) {
			t.Errorf("%s does not name %q (%v)", file, want, err)
		}
	}
	if b, _ := os.ReadFile("strait.logrotate"); !bytes.Contains(b, []byte(cfg.Main.PIDFile)) {
		t.Errorf("strait.logrotate does not look for the pid file %s", cfg.Main.PIDFile)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// runTest runs strait -t on text, with the packaged run and log
// directories moved into a temporary directory, and returns stderr.
func runTest(t *testing.T, text string) (string, int) {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"run", "log"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	text = strings.NewReplacer("/run/strait/", dir+"/run/", "/var/log/strait/", dir+"/log/").Replace(text)
	conf := filepath.Join(dir, "strait.conf")
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := cli.Main([]string{"-t", "-c", conf}, cli.Env{Stdout: &stdout, Stderr: &stderr})
	return stderr.String(), code
}

// TestSamplePassesTest: the package starts the service on install, so the
// sample must pass strait -t as shipped, without warnings.
func TestSamplePassesTest(t *testing.T) {
	b, err := os.ReadFile("strait.conf")
	if err != nil {
		t.Fatal(err)
	}
	out, code := runTest(t, string(b))
	if code != 0 || !strings.Contains(out, "test is successful") || strings.Contains(out, "[warn]") {
		t.Errorf("strait -t on the sample: exit %d\n%s", code, out)
	}
}

// uncomment removes the "#" in front of the sample's commented-out
// configuration: the status_listen line, and every line from the example's
// "#upstream" to its last "#}". Comments inside the example stay comments.
func uncomment(t *testing.T, text string) string {
	t.Helper()
	lines := strings.Split(text, "\n")
	first, last := -1, -1
	for i, l := range lines {
		trimmed := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(trimmed, "#upstream ") && first < 0:
			first = i
		case trimmed == "#}":
			last = i
		case strings.HasPrefix(trimmed, "#status_listen "):
			lines[i] = strings.Replace(l, "#", "", 1)
		}
	}
	if first < 0 || last < first {
		t.Fatalf("no commented-out example (#upstream ... #}) in the sample")
	}
	for i := first; i <= last; i++ {
		lines[i] = strings.Replace(lines[i], "#", "", 1)
	}
	return strings.Join(lines, "\n")
}

// TestSampleExampleValid uncomments the sample's upstream TLS example,
// gives it certificates and loopback backends, and runs strait -t: an
// operator who follows the sample's steps gets a configuration that
// loads.
func TestSampleExampleValid(t *testing.T) {
	b, err := os.ReadFile("strait.conf")
	if err != nil {
		t.Fatal(err)
	}
	text := uncomment(t, string(b))
	if !regexp.MustCompile(`(?m)^ +proxy_ssl_verify +on;$`).MatchString(text) || !strings.Contains(text, "\nstatus_listen 127.0.0.1:9145;") {
		t.Fatalf("uncommenting did not reveal the example:\n%s", text)
	}
	pki := writePKI(t)
	text = strings.NewReplacer(
		"/etc/strait/tls/", pki+"/",
		"backend1.example.com", "127.0.0.1",
		"backend2.example.com", "127.0.0.2",
		"backend3.example.com", "127.0.0.3",
	).Replace(text)
	out, code := runTest(t, text)
	if code != 0 || !strings.Contains(out, "test is successful") || strings.Contains(out, "[warn]") {
		t.Errorf("strait -t on the uncommented example: exit %d\n%s\n%s", code, out, text)
	}
}

// TestMaintainerScriptsParse runs sh -n on the maintainer scripts, which
// dpkg runs with /bin/sh.
func TestMaintainerScriptsParse(t *testing.T) {
	sh := straittest.Tool(t, "sh")
	for _, s := range []string{"postinst", "prerm", "postrm"} {
		if out, err := exec.Command(sh, "-n", filepath.Join("debian", s)).CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", s, err, out)
		}
	}
}

// TestCopyrightNamesEveryModule: the static binary contains every module
// strait links, so debian/copyright must name each one's licence.
func TestCopyrightNamesEveryModule(t *testing.T) {
	gobin := straittest.Tool(t, "go")
	out, err := exec.Command(gobin, "list", "-deps", "-f", "{{with .Module}}{{if not .Main}}{{.Path}}{{end}}{{end}}",
		"github.com/straitproxy/strait/cmd/strait").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	b, err := os.ReadFile(filepath.Join("debian", "copyright"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, m := range strings.Fields(string(out)) {
		if seen[m] {
			continue
		}
		seen[m] = true
		if !regexp.MustCompile(`(?m)[ :]` + regexp.QuoteMeta(m) + `($|\s)`).Match(b) {
			t.Errorf("debian/copyright does not name %s", m)
		}
	}
	if len(seen) == 0 {
		t.Fatalf("go list found no modules: %q", out)
	}
}

// writePKI writes what the sample's steps ask for: a client certificate
// and key, and the CA of the backends, under the sample's file names.
func writePKI(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	// Valid for a year: -t warns about certificates that expire within
	// 30 days, and the sample must load without a warning.
	year := time.Now().AddDate(1, 0, 0)
	ca := testpki.NewRoot(t, testpki.Spec{CommonName: "Backend CA", NotAfter: year})
	client := ca.Issue(t, testpki.Spec{CommonName: "strait", Client: true, NotAfter: year})
	testpki.WriteCerts(t, dir, "client.crt", client.Chain()...)
	testpki.WriteKey(t, dir, "client.key", client.Key, testpki.PKCS8, "")
	testpki.WriteCerts(t, dir, "upstream-ca.crt", ca.Cert)
	return dir
}
