package tlsconf

import (
	"slices"
	"testing"

	"github.com/straitproxy/strait/internal/config"
)

// TestFilesOfSkipsData: a data: certificate or key is no file to watch.
func TestFilesOfSkipsData(t *testing.T) {
	got := filesOf(config.ProxySSL{Certificate: "data:CERT", CertificateKey: "/k.pem", Verify: true, TrustedCertificate: "/ca.pem"})
	if want := []string{"/k.pem", "/ca.pem"}; !slices.Equal(got, want) {
		t.Errorf("files %q, want %q", got, want)
	}
}
