package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/straitproxy/strait/internal/straittest"
)

// fileCases are configurations whose only problem, if any, is a file
// that start-up cannot open: strait -t opens what start-up opens, and
// says what nginx -t says. DIR stands for a fresh directory; every case
// names its pid file so that nginx -t leaves /run alone.
var fileCases = []struct {
	name, conf string
	emerg      string   // "" when the test succeeds
	created    []string // files -t leaves in DIR besides the configuration
}{
	{
		name: "access log directory missing",
		conf: `pid DIR/strait.pid;
events {} stream { log_format b '$status'; server { listen LISTEN; proxy_pass 127.0.0.1:1; access_log DIR/no/such/dir/x.log b; } }`,
		emerg: `open() "DIR/no/such/dir/x.log" failed (2: No such file or directory)`,
	},
	{
		name: "main error log directory missing",
		conf: `pid DIR/strait.pid; error_log DIR/no/such/dir/e.log;
events {} stream { server { listen LISTEN; proxy_pass 127.0.0.1:1; } }`,
		emerg: `open() "DIR/no/such/dir/e.log" failed (2: No such file or directory)`,
	},
	{
		name: "stream error log missing even if every server has its own",
		conf: `pid DIR/strait.pid; error_log DIR/main.log;
events {} stream { error_log DIR/no/such/dir/e.log; server { listen LISTEN; proxy_pass 127.0.0.1:1; error_log DIR/server.log; } }`,
		emerg: `open() "DIR/no/such/dir/e.log" failed (2: No such file or directory)`,
		// Files open in the order the configuration names them; the
		// server's comes after the failure.
		created: []string{"main.log"},
	},
	{
		name: "server error log under a file",
		conf: `pid DIR/strait.pid; error_log DIR/main.log;
events {} stream { server { listen LISTEN; proxy_pass 127.0.0.1:1; error_log DIR/main.log/e.log info; } }`,
		emerg:   `open() "DIR/main.log/e.log" failed (20: Not a directory)`,
		created: []string{"main.log"},
	},
	{
		name: "pid directory missing, checked before the logs",
		conf: `pid DIR/no/such/dir/strait.pid;
events {} stream { log_format b '$status'; server { listen LISTEN; proxy_pass 127.0.0.1:1; access_log DIR/no/such/dir/x.log b; } }`,
		emerg: `open() "DIR/no/such/dir/strait.pid" failed (2: No such file or directory)`,
	},
	{
		name: "every file can be opened",
		conf: `pid DIR/strait.pid; error_log DIR/main.log;
events {} stream { log_format b '$status'; error_log DIR/stream.log; server { listen LISTEN; proxy_pass 127.0.0.1:1; access_log DIR/access.log b; error_log DIR/main.log info; } }`,
		created: []string{"access.log", "main.log", "stream.log"},
	},
}

// fileCase writes a case's configuration into a fresh directory, for
// strait or (with nginxHeader) for nginx.
func fileCase(t *testing.T, conf, listen, header string) (dir, path string) {
	t.Helper()
	dir = t.TempDir()
	text := header + strings.NewReplacer("DIR", dir, "LISTEN", listen).Replace(conf) + "\n"
	return dir, writeConf(t, dir, "strait.conf", text)
}

// leftFiles lists what is in dir besides the configuration.
func leftFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.Name() != "strait.conf" {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestConfigTestOpensWhatStartOpens(t *testing.T) {
	// strait -t binds nothing: any address does, and a held one is
	// certain to stay someone else's.
	_, listen := straittest.ListenAddr(t)
	for _, tc := range fileCases {
		t.Run(tc.name, func(t *testing.T) {
			dir, conf := fileCase(t, tc.conf, listen, "")
			code, _, errs := runCLI(t, dir, "-t", "-c", conf)
			want := "strait: the configuration file " + conf + " syntax is ok\n"
			if tc.emerg == "" {
				want += "strait: configuration file " + conf + " test is successful\n"
			} else {
				want += "strait: [emerg] " + strings.ReplaceAll(tc.emerg, "DIR", dir) + "\n" +
					"strait: configuration file " + conf + " test failed\n"
			}
			if wantCode := map[bool]int{true: 0, false: 1}[tc.emerg == ""]; code != wantCode || errs != want {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d, stderr:\n%s", code, errs, wantCode, want)
			}
			// Like nginx, -t creates the log files it could open; unlike
			// nginx it leaves no empty pid file behind.
			if got := leftFiles(t, dir); !slices.Equal(got, tc.created) {
				t.Errorf("-t left %q, want %q", got, tc.created)
			}
		})
	}
}

func TestConfigTestAgreesWithNginx(t *testing.T) {
	nginx := straittest.Tool(t, "nginx")
	const module = "/usr/lib/nginx/modules/ngx_stream_module.so"
	if _, err := os.Stat(module); err != nil {
		t.Fatalf("nginx is installed without its stream module: %v", err)
	}
	header := "load_module " + module + ";\nevents {}\n"
	// nginx -t binds the listen sockets, but an address in use is no
	// error in test mode, so a port the test holds does.
	_, listen := straittest.ListenAddr(t)
	emergRE := regexp.MustCompile(`\[emerg\] (?:\d+#\d+: )?(.*)`)
	for _, tc := range fileCases {
		t.Run(tc.name, func(t *testing.T) {
			nDir, nConf := fileCase(t, tc.conf, listen, header)
			out, err := exec.Command(nginx, "-t", "-p", nDir+"/", "-c", nConf).CombinedOutput()
			if _, ok := err.(*exec.ExitError); err != nil && !ok {
				t.Fatalf("running nginx: %v", err)
			}
			var nginxEmerg string
			if m := emergRE.FindSubmatch(out); m != nil {
				nginxEmerg = strings.ReplaceAll(string(m[1]), nDir, "DIR")
			}

			sDir, sConf := fileCase(t, tc.conf, listen, header)
			code, _, errs := runCLI(t, sDir, "-t", "-c", sConf)
			var straitEmerg string
			if m := emergRE.FindStringSubmatch(errs); m != nil {
				straitEmerg = strings.ReplaceAll(m[1], sDir, "DIR")
			}
			if (err == nil) != (code == 0) || nginxEmerg != straitEmerg {
				t.Errorf("nginx -t (ok %v):\n%s\nstrait -t (exit %d):\n%s", err == nil, out, code, errs)
			}
			// nginx -t also creates the pid file, empty; strait does not.
			nginxLeft := slices.DeleteFunc(leftFiles(t, nDir), func(n string) bool { return filepath.Ext(n) == ".pid" })
			if got := leftFiles(t, sDir); !slices.Equal(got, nginxLeft) {
				t.Errorf("nginx -t left %q, strait -t %q", nginxLeft, got)
			}
		})
	}
}

// TestConfigTestReportsUnknownVariablesAsSyntax checks that -t refuses an
// unknown variable before "syntax is ok", as nginx does, and says where.
func TestConfigTestReportsUnknownVariablesAsSyntax(t *testing.T) {
	dir := t.TempDir()
	conf := writeConf(t, dir, "strait.conf", "events {} stream {\n    log_format f '$remote_addr $nope';\n"+
		"    server { listen 127.0.0.1:1; proxy_pass 127.0.0.1:2; access_log f.log f; }\n}\n")
	code, _, errs := runCLI(t, dir, "-t", "-c", conf)
	want := "strait: [emerg] unknown \"nope\" variable in " + conf + ":2\n" +
		"strait: configuration file " + conf + " test failed\n"
	if code != 1 || errs != want {
		t.Errorf("exit %d, stderr:\n%s\nwant exit 1, stderr:\n%s", code, errs, want)
	}
}
