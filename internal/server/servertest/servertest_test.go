package servertest

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/straitproxy/strait/internal/straittest"
)

// TestMain fails the package if Start leaves a server goroutine behind:
// its cleanup must wait for Serve to return.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestStartServesTheConfiguration(t *testing.T) {
	up := straittest.ServeTCP(t, straittest.Say("from upstream"))
	dir := t.TempDir()
	conf := filepath.Join(dir, "strait.conf")
	ln, addr := straittest.ListenAddr(t)
	text := fmt.Sprintf("events {} stream { server { listen %s; proxy_pass %s; } }\n", addr, up)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	st := Start(t, conf, dir, ln)
	if st.Addr(t) != addr {
		t.Errorf("serving on %s, want the handed-over %s", st.Addr(t), addr)
	}

	got, err := io.ReadAll(straittest.Dial(t, st.Addr(t)))
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if string(got) != "from upstream" {
		t.Fatalf("through strait got %q, want %q", got, "from upstream")
	}
	if log := st.Log.String(); !strings.Contains(log, "[info]") {
		t.Errorf("error log has no info records:\n%s", log)
	}
}
