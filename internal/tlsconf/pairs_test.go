package tlsconf

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/testpki"
)

func TestSSLName(t *testing.T) {
	for in, want := range map[string]string{
		"a.test": "a.test", "a.test:443": "a.test", "[::1]:443": "[::1]", "[::1]": "[::1]",
		"": "", ":1": "", "10.0.0.1:8443": "10.0.0.1",
	} {
		if got := sslName(in); got != want {
			t.Errorf("sslName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestPairCache: a cached pair is served until valid passes, a file
// changed in the meantime is read again after it, unused pairs go after
// inactive, and max bounds the cache.
func TestPairCache(t *testing.T) {
	dir := t.TempDir()
	root := testpki.NewRoot(t, testpki.Spec{CommonName: "root"})
	certA, keyA := testpki.WriteLeaf(t, dir, "a", root.Issue(t, testpki.Spec{CommonName: "a", Client: true}))
	certB, keyB := testpki.WriteLeaf(t, dir, "b", root.Issue(t, testpki.Spec{CommonName: "b", Client: true}))
	now := time.Unix(1000, 0)
	p := newPairCache(config.CertificateCache{Max: 1, Inactive: 10 * time.Second, Valid: time.Minute}, func() time.Time { return now })
	first, err := p.get(certA, keyA, "")
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := p.get(certA, keyA, ""); again != first {
		t.Error("a valid pair was loaded again")
	}
	if _, err := p.get(certB, keyB, ""); err != nil || p.len() != 1 {
		t.Errorf("max=1 holds %d pairs (err %v)", p.len(), err)
	}
	now = now.Add(11 * time.Second)
	if _, err := p.get(certA, keyA, ""); err != nil || p.len() != 1 {
		t.Errorf("after inactive: %d pairs (err %v)", p.len(), err)
	}
	os.Remove(certA)
	if _, err := p.get(certA, keyA, ""); err != nil {
		t.Errorf("a valid pair was read again: %v", err)
	}
	now = now.Add(time.Minute)
	_, err = p.get(certA, keyA, "")
	if want := `cannot load certificate "` + filepath.Join(dir, "a.crt") + `": open() failed (2: No such file or directory)`; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	var off *pairCache
	if _, err := off.get(certB, keyB, ""); err != nil {
		t.Errorf("without a cache: %v", err)
	}
}
