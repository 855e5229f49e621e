package demo

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/straitproxy/strait/internal/straittest"
)

// TestDemoCarriesTrafficOverVerifiedMutualTLS runs the whole demonstration
// and checks what it shows a person: every message answered by one of the
// three upstreams, which saw strait's client certificate; TLS 1.2 (the
// example allows TLSv1 to TLSv1.2) with the upstream verified; round robin
// over all three; full handshakes first, resumed sessions after.
func TestDemoCarriesTrafficOverVerifiedMutualTLS(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := Run(context.Background(), Options{Dir: dir, Listener: straittest.Listen(t), Out: &out}); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	text := out.String()
	var rows []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, "through strait [client certificate CN=backend]") {
			rows = append(rows, l)
		}
	}
	if len(rows) != 6 {
		t.Fatalf("want 6 answered messages, got %d:\n%s", len(rows), text)
	}
	backends := map[string]bool{}
	for i, r := range rows {
		f := strings.Fields(r)
		if f[2] != "TLSv1.2" || f[4] != "OK" {
			t.Errorf("row %d: protocol %q verify %q, want TLSv1.2 OK:\n%s", i+1, f[2], f[4], r)
		}
		resumed := f[5] == "yes"
		if resumed != (i >= 3) {
			t.Errorf("row %d: resumed=%v:\n%s", i+1, resumed, r)
		}
		for _, b := range []string{"backend1:", "backend2:", "backend3:"} {
			if strings.Contains(r, b) {
				backends[b] = true
			}
		}
	}
	if len(backends) != 3 {
		t.Errorf("round robin reached %d upstreams, want 3:\n%s", len(backends), text)
	}
	conf, err := os.ReadFile(filepath.Join(dir, "strait.conf"))
	if err != nil || !strings.Contains(string(conf), "proxy_ssl_verify_depth  2;") {
		t.Errorf("config not written with the article's settings: %v", err)
	}
}

// Without -dir the demo works in a temporary directory, says so, and
// removes it when it ends.
func TestDemoRemovesItsTemporaryDirectory(t *testing.T) {
	var out bytes.Buffer
	if err := Run(context.Background(), Options{Listener: straittest.Listen(t), Out: &out}); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	text := out.String()
	_, after, ok := strings.Cut(text, "\nremoved ")
	if !ok || !strings.Contains(text, "(temporary: removed when the demo stops; -dir DIR keeps them)") {
		t.Fatalf("the demo does not say it removes its directory:\n%s", text)
	}
	dir := strings.TrimSpace(after)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s still exists: %v", dir, err)
	}
}

func TestClientSendsInputAndPrintsAnswers(t *testing.T) {
	addr := straittest.ServeTCP(t, straittest.Echo)
	var out bytes.Buffer
	if err := Client(context.Background(), addr, strings.NewReader("hello\nagain\n"), &out); err != nil {
		t.Fatal(err)
	}
	if out.String() != "hello\nagain\n" {
		t.Errorf("client printed %q", out.String())
	}
}
