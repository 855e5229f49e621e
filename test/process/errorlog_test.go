package process

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/straitproxy/strait/internal/straittest"
)

// TestServerLevelErrorLog checks that an error_log inside a server block
// receives that server's session lines while the main log keeps its level.
func TestServerLevelErrorLog(t *testing.T) {
	a := startEcho(t, "a")
	dir := t.TempDir()
	conf := filepath.Join(dir, "strait.conf")
	listen := straittest.FreeAddr(t)
	writeConf(t, conf, fmt.Sprintf(`daemon off;
pid %[1]s/strait.pid;
error_log %[1]s/main.log error;
stream {
    server {
        listen %[2]s;
        proxy_pass %[3]s;
        error_log %[1]s/server.log info;
    }
}
`, dir, listen, a))
	cmd := exec.Command(straitBin, "-c", conf)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	eventually(t, "proxying", func() error {
		_, err := ask(listen, "x")
		return err
	})
	eventually(t, "server.log has the session", func() error {
		b, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		if !strings.Contains(string(b), "connected to "+listen) {
			return fmt.Errorf("server.log:\n%s", b)
		}
		return nil
	})
	if b, _ := os.ReadFile(filepath.Join(dir, "main.log")); strings.Contains(string(b), "[info]") {
		t.Errorf("main.log has info lines:\n%s", b)
	}
}
