package cli

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/straitproxy/strait/internal/testpki"
)

// TestConfigTestWarnsAboutExpiringCertificates checks that -t names the
// file of a certificate that expires within 30 days and of one that has
// expired, and still succeeds: an expiring certificate is a warning, as
// the upstream decides whether to accept it.
func TestConfigTestWarnsAboutExpiringCertificates(t *testing.T) {
	now := time.Now().Truncate(time.Second) // certificates keep whole seconds
	day := 24 * time.Hour
	root := testpki.NewRoot(t, testpki.Spec{CommonName: "long root", NotAfter: now.Add(400 * day)})
	old := testpki.NewRoot(t, testpki.Spec{CommonName: "old root", NotBefore: now.Add(-400 * day), NotAfter: now.Add(-3 * day)})
	soon := root.Issue(t, testpki.Spec{CommonName: "soon", Client: true, NotAfter: now.Add(10*day + time.Hour)})
	fine := root.Issue(t, testpki.Spec{CommonName: "fine", Client: true, NotAfter: now.Add(31 * day)})
	dir := t.TempDir()
	soonCrt, soonKey := testpki.WriteLeaf(t, dir, "soon", soon)
	fineCrt, fineKey := testpki.WriteLeaf(t, dir, "fine", fine)
	ca := testpki.WriteCerts(t, dir, "ca.pem", root.Cert, old.Cert)
	main := writeConf(t, dir, "strait.conf", fmt.Sprintf(`pid %s/strait.pid;
events {} stream {
 proxy_ssl_trusted_certificate %s;
 server {
  listen 127.0.0.1:12345;
  proxy_pass 127.0.0.1:9000;
  proxy_ssl on;
  proxy_ssl_verify on;
  proxy_ssl_certificate %s;
  proxy_ssl_certificate_key %s;
 }
 server {
  listen 127.0.0.1:12346;
  proxy_pass 127.0.0.1:9000;
  proxy_ssl on;
  proxy_ssl_certificate %s;
  proxy_ssl_certificate_key %s;
 }
}
`, dir, ca, soonCrt, soonKey, fineCrt, fineKey))
	var out, errb bytes.Buffer
	code := Main([]string{"-t", "-c", main}, Env{Stdout: &out, Stderr: &errb,
		Getwd: func() (string, error) { return dir, nil }, Now: func() time.Time { return now }})
	if code != 0 {
		t.Fatalf("-t exit %d:\n%s", code, errb.String())
	}
	var warnings []string
	for line := range strings.SplitSeq(errb.String(), "\n") {
		if strings.Contains(line, "[warn] certificate") {
			warnings = append(warnings, line)
		}
	}
	want := []string{
		fmt.Sprintf(`strait: [warn] certificate "CN=soon,O=strait test" from %q expires in 10 days in %s:7`, soonCrt, main),
		fmt.Sprintf(`strait: [warn] certificate "CN=old root,O=strait test" from %q expired 3 days ago in %s:7`, ca, main),
	}
	if strings.Join(warnings, "\n") != strings.Join(want, "\n") {
		t.Fatalf("warnings:\n%s\nwant:\n%s\nwhole output:\n%s", strings.Join(warnings, "\n"), strings.Join(want, "\n"), errb.String())
	}
	if !strings.Contains(errb.String(), "test is successful") {
		t.Errorf("-t did not succeed:\n%s", errb.String())
	}
}
