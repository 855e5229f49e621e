package tlsconf

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"

	"github.com/straitproxy/strait/internal/errlog"
	"github.com/straitproxy/strait/internal/straittest"
	"github.com/straitproxy/strait/internal/testpki"
)

func TestAlertTextInOpenSSLWords(t *testing.T) {
	for _, tt := range []struct {
		err   error
		want  string
		level string
	}{
		{&net.OpError{Op: "remote error", Err: tls.AlertError(48)},
			"SSL: error:0A000418:SSL routines::tlsv1 alert unknown ca:SSL alert number 48", "error"},
		{fmt.Errorf("handshake: %w", &net.OpError{Op: "remote error", Err: tls.AlertError(70)}),
			"SSL: error:0A00042E:SSL routines::tlsv1 alert protocol version:SSL alert number 70", "error"},
		{tls.AlertError(116),
			"SSL: error:0A00045C:SSL routines::tlsv13 alert certificate required:SSL alert number 116", "crit"},
		{tls.AlertError(112), "SSL: error:0A000458:SSL routines::tlsv1 unrecognized name:SSL alert number 112", "crit"},
		{tls.AlertError(121), "SSL: error:0A000461:SSL routines::reason(1121):SSL alert number 121", "crit"},
	} {
		text, level, ok := AlertText(tt.err)
		if !ok || text != tt.want || errlog.LevelName(level) != tt.level {
			t.Errorf("AlertText(%v) = %q, %s, %v; want %q at %s", tt.err, text, errlog.LevelName(level), ok, tt.want, tt.level)
		}
	}
	if _, _, ok := AlertText(&net.OpError{Op: "read", Err: fmt.Errorf("x")}); ok {
		t.Error("a read error taken for an alert")
	}
}

// TestPeerAlertFromCryptoTLS takes a real alert: a TLS 1.2-only server
// refuses a TLS 1.3-only client with protocol_version.
func TestPeerAlertFromCryptoTLS(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	srv := tls.Server(b, &tls.Config{MaxVersion: tls.VersionTLS12, Certificates: []tls.Certificate{testpki.SelfSigned(t, testpki.Spec{CommonName: "backend"}).TLSCertificate()}})
	go func() { srv.HandshakeContext(context.Background()); b.Close() }()
	err := tls.Client(a, &tls.Config{MinVersion: tls.VersionTLS13, InsecureSkipVerify: true}).Handshake()
	he := &HandshakeError{Err: err}
	want := "SSL_do_handshake() failed (SSL: error:0A00042E:SSL routines::tlsv1 alert protocol version:SSL alert number 70)"
	if he.Error() != want || errlog.LevelName(he.Level()) != "error" {
		t.Fatalf("got %q at %s (from %v), want %q at error", he.Error(), errlog.LevelName(he.Level()), err, want)
	}
}

// TestAlertReasonsAreOpenSSLs checks the reason table against the
// installed OpenSSL's own strings.
func TestAlertReasonsAreOpenSSLs(t *testing.T) {
	openssl := straittest.Tool(t, "openssl")
	var args []string
	for n := range alertReasons {
		args = append(args, fmt.Sprintf("%08X", 0x0A000000|(1000+int(n))))
	}
	out, err := exec.Command(openssl, append([]string{"errstr"}, args...)...).Output()
	if err != nil {
		t.Fatal(err)
	}
	for n, r := range alertReasons {
		want := fmt.Sprintf("error:%08X:SSL routines::%s\n", 0x0A000000|(1000+int(n)), r)
		if !strings.Contains(string(out), want) {
			t.Errorf("alert %d: %q is not OpenSSL's:\n%s", n, want, out)
		}
	}
}
