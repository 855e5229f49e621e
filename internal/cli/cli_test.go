package cli

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, Env{Stdout: &out, Stderr: &errb, Getwd: func() (string, error) { return dir, nil }})
	return code, out.String(), errb.String()
}

func writeConf(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const okConf = `daemon off;
events {} stream {
    include upstreams.conf;
    server {
        listen 127.0.0.1:12345;
        proxy_pass backend;
    }
}
`

func TestConfigTestSuccessAndDump(t *testing.T) {
	dir := t.TempDir()
	main := writeConf(t, dir, "strait.conf", okConf)
	inc := writeConf(t, dir, "upstreams.conf", "upstream backend { server 127.0.0.1:9000; }\n")

	code, out, errs := runCLI(t, dir, "-t", "-c", "strait.conf")
	if code != 0 {
		t.Fatalf("-t exit %d, stderr:\n%s", code, errs)
	}
	want := "strait: the configuration file " + main + " syntax is ok\n" +
		"strait: configuration file " + main + " test is successful\n"
	if errs != want || out != "" {
		t.Errorf("-t stderr = %q, stdout = %q; want stderr %q", errs, out, want)
	}

	code, out, _ = runCLI(t, dir, "-T", "-q", "-c", main)
	if code != 0 {
		t.Fatalf("-T exit %d", code)
	}
	for _, s := range []string{"# configuration file " + main + ":\n" + okConf, "# configuration file " + inc + ":\nupstream backend"} {
		if !strings.Contains(out, s) {
			t.Errorf("-T output lacks %q:\n%s", s, out)
		}
	}
}

func TestConfigTestFailure(t *testing.T) {
	dir := t.TempDir()
	main := writeConf(t, dir, "strait.conf", "events {} stream {\n    server {\n        proxy_sl on;\n    }\n}\n")
	code, _, errs := runCLI(t, dir, "-t", "-c", main)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	for _, s := range []string{
		`strait: [emerg] unknown directive "proxy_sl" in ` + main + ":3",
		"strait: configuration file " + main + " test failed\n",
	} {
		if !strings.Contains(errs, s) {
			t.Errorf("stderr lacks %q:\n%s", s, errs)
		}
	}
}

func TestConfigTestWarnsAboutUnverifiedUpstreams(t *testing.T) {
	dir := t.TempDir()
	main := writeConf(t, dir, "strait.conf", "events {} stream {\n server {\n  listen 127.0.0.1:12345;\n  proxy_pass 127.0.0.1:9000;\n  proxy_ssl on;\n  proxy_ssl_protocols TLSv1.1 TLSv1.3;\n }\n}\n")
	code, _, errs := runCLI(t, dir, "-t", "-c", main)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, errs)
	}
	if !strings.Contains(errs, "strait: [warn] ") || !strings.Contains(errs, "proxy_ssl_verify") {
		t.Errorf("no warning about proxy_ssl_verify:\n%s", errs)
	}
	if !strings.Contains(errs, "leaves out TLSv1.2") {
		t.Errorf("no warning about the hole in proxy_ssl_protocols:\n%s", errs)
	}
}

func TestGlobalsAndPrefix(t *testing.T) {
	dir := t.TempDir()
	writeConf(t, dir, "strait.conf", "events {} stream { }\n")
	code, _, errs := runCLI(t, "/nonexistent", "-t", "-p", dir, "-c", "strait.conf", "-g", "worker_processes 2;")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, errs)
	}
	code, _, errs = runCLI(t, dir, "-t", "-c", "strait.conf", "-g", "bogus_directive 1;")
	if code != 1 || !strings.Contains(errs, `unknown directive "bogus_directive" in command line`) {
		t.Errorf("exit %d, stderr:\n%s", code, errs)
	}
}

func TestVersion(t *testing.T) {
	code, _, errs := runCLI(t, ".", "-v")
	if code != 0 || errs != "strait version: strait/"+Version+"\n" {
		t.Errorf("-v: exit %d, %q", code, errs)
	}
	code, _, errs = runCLI(t, ".", "-V")
	if code != 0 || !strings.Contains(errs, "built with go") {
		t.Errorf("-V: exit %d, %q", code, errs)
	}
	code, out, _ := runCLI(t, ".", "version")
	if code != 0 || !strings.HasPrefix(out, "strait version: strait/") {
		t.Errorf("version: exit %d, %q", code, out)
	}
	code, _, errs = runCLI(t, ".", "-h")
	if code != 0 || !strings.Contains(errs, "-s signal") {
		t.Errorf("-h: exit %d, %q", code, errs)
	}
}

func TestSignalWithoutPidFile(t *testing.T) {
	dir := t.TempDir()
	main := writeConf(t, dir, "strait.conf", "pid "+filepath.Join(dir, "strait.pid")+";\nevents {} stream { }\n")
	code, _, errs := runCLI(t, dir, "-s", "reload", "-c", main)
	if code != 1 || !strings.Contains(errs, "strait.pid\" failed (2: No such file or directory)") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}

// Every flag of `strait demo` is documented in the table -h prints, and
// nothing else is.
func TestDemoOptionsMatchFlags(t *testing.T) {
	fs, _ := newDemoFlagSet(io.Discard)
	documented := map[string]bool{}
	for _, e := range demoOptions {
		documented[e.name] = true
	}
	n := 1 // -h, which the flag package handles
	fs.VisitAll(func(f *flag.Flag) {
		n++
		if !documented["-"+f.Name] {
			t.Errorf("-%s is not in demoOptions", f.Name)
		}
	})
	if n != len(demoOptions) {
		t.Errorf("demoOptions has %d entries for %d flags", len(demoOptions), n)
	}
	var out bytes.Buffer
	if code := Main([]string{"demo", "-h"}, Env{Stdout: &out, Stderr: &out}); code != 0 || !strings.Contains(out.String(), "  -client           : send each line of standard input") {
		t.Errorf("strait demo -h: %d\n%s", code, out.String())
	}
}
