package config

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const (
	nginxBinary       = "/usr/sbin/nginx"
	nginxStreamModule = "/usr/lib/nginx/modules/ngx_stream_module.so"
)

// TestNginxAgrees runs `nginx -t` over the corpus and checks that strait
// accepts exactly the configurations nginx accepts, except those marked
// "# nginx-skip: reason" (strait's deliberate differences, or names only
// the test resolver knows).
func TestNginxAgrees(t *testing.T) {
	if _, err := os.Stat(nginxBinary); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("nginx is required in CI: %v", err)
		}
		t.Skipf("nginx not installed (%v); the differential test needs it", err)
	}
	if _, err := os.Stat(nginxStreamModule); err != nil {
		t.Fatalf("nginx is installed without its stream module: %v", err)
	}
	// One copy of the corpus serves every run: nginx -t only reads it
	// (and creates empty log files in the prefix).
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(corpusDir)); err != nil {
		t.Fatal(err)
	}
	compared := 0
	for _, file := range corpusFiles(t) {
		text, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if nginxSkip(text) != "" {
			continue
		}
		compared++
		name := strings.TrimSuffix(filepath.Base(file), ".conf")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			abs, _ := filepath.Abs(file)
			_, straitErr := Load(LoadOptions{File: abs, Resolve: fakeResolve})
			nginxOut, nginxOK := nginxTest(t, dir, name, text)
			if straitOK := straitErr == nil; straitOK != nginxOK {
				t.Errorf("nginx ok=%v, strait ok=%v\nnginx: %s\nstrait: %v", nginxOK, straitOK, nginxOut, straitErr)
			}
		})
	}
	if compared < 30 {
		t.Errorf("only %d configurations compared with nginx", compared)
	}
}

var (
	loadModuleRE = regexp.MustCompile(`(?m)^\s*load_module\s`)
	pidRE        = regexp.MustCompile(`(?m)^\s*pid\s`)
)

// nginxTest runs `nginx -t` on text placed in dir, a copy of the corpus
// directory, completed with what nginx needs and strait does not: the
// stream module, which strait has built in.
func nginxTest(t *testing.T, dir, name string, text []byte) (string, bool) {
	t.Helper()
	var conf bytes.Buffer
	if !loadModuleRE.Match(text) {
		conf.WriteString("load_module " + nginxStreamModule + ";\n")
	}
	conf.Write(text)
	main := filepath.Join(dir, "nginx-"+name+".conf")
	if err := os.WriteFile(main, conf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	globals := "error_log stderr;"
	if !pidRE.Match(text) {
		globals += " pid " + filepath.Join(dir, name+".pid") + ";"
	}
	cmd := exec.Command(nginxBinary, "-t", "-q", "-p", dir+"/", "-c", main, "-g", globals)
	out, err := cmd.CombinedOutput()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		t.Fatalf("running nginx: %v", err)
	}
	return strings.TrimSpace(string(out)), err == nil
}
