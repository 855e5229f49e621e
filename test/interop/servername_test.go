package interop

import (
	"fmt"
	"strings"
	"testing"

	"github.com/straitproxy/strait/internal/testpki"
)

// TestOpenSSLClientChoosesServerByName: three server_name blocks of
// listen ... ssl on one port, each with its own certificate; openssl
// s_client -servername sees each block's certificate and reply, and an
// unknown name gets the default block's.
func TestOpenSSLClientChoosesServerByName(t *testing.T) {
	openssl := needTool(t, "openssl")
	dir := t.TempDir()
	root := testpki.NewRoot(t, testpki.Spec{CommonName: "Names Root"})
	rootFile := testpki.WriteCerts(t, dir, "names-root.crt", root.Cert)
	pair := func(name string) (string, string) {
		leaf := root.Issue(t, testpki.Spec{CommonName: name, DNSNames: []string{name}})
		return testpki.WriteLeaf(t, dir, strings.ReplaceAll(name, ".", "-"), leaf)
	}
	defCert, defKey := pair("default.test")
	aCert, aKey := pair("a.test")
	bCert, bKey := pair("b.test")
	ln, addr := listenAddr(t)
	startTLSFront(t, dir, fmt.Sprintf(`
    server {
        listen %[1]s ssl default_server;
        ssl_certificate %[2]s; ssl_certificate_key %[3]s;
        return "reply default $server_name\n";
    }
    server {
        listen %[1]s ssl;
        server_name a.test;
        ssl_certificate %[4]s; ssl_certificate_key %[5]s;
        return "reply a $server_name\n";
    }
    server {
        listen %[1]s ssl;
        server_name *.b.test b.test;
        ssl_certificate %[6]s; ssl_certificate_key %[7]s;
        return "reply b $ssl_server_name\n";
    }`, addr, defCert, defKey, aCert, aKey, bCert, bKey), ln)
	for _, c := range []struct{ name, subject, reply string }{
		{"a.test", "CN=a.test", "reply a a.test"},
		{"b.test", "CN=b.test", "reply b b.test"},
		{"x.b.test", "CN=b.test", "reply b x.b.test"},
		{"other.test", "CN=default.test", "reply default "},
	} {
		out, ok := sClient(t, openssl, addr, "-servername", c.name, "-CAfile", rootFile)
		if !ok || !strings.Contains(out, c.reply+"\n") || !strings.Contains(out, "subject="+c.subject) &&
			!strings.Contains(out, "subject=O = strait test, "+strings.ReplaceAll(c.subject, "=", " = ")) {
			t.Errorf("%s: ok=%v, want %q from %q:\n%s", c.name, ok, c.reply, c.subject, out)
		}
	}
}
