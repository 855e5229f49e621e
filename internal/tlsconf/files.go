package tlsconf

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"unicode"
	"unicode/utf8"
)

// readFile reads a configured file and words failures as nginx does:
// `open() failed (2: No such file or directory)`.
func readFile(path string) ([]byte, error) {
	if text, ok := strings.CutPrefix(path, "data:"); ok {
		// nginx's "data:" values carry the PEM text itself.
		return []byte(text), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, osError("open()", err)
	}
	return data, nil
}

// osError words err like nginx's "call() failed (errno: strerror)",
// keeping err reachable through errors.Is.
func osError(call string, err error) error {
	return &callError{call: call, err: err}
}

type callError struct {
	call string
	err  error
}

func (e *callError) Error() string {
	var errno syscall.Errno
	if errors.As(e.err, &errno) {
		msg := errno.Error()
		if r, size := utf8.DecodeRuneInString(msg); size > 0 {
			msg = string(unicode.ToUpper(r)) + msg[size:]
		}
		return fmt.Sprintf("%s failed (%d: %s)", e.call, int(errno), msg)
	}
	return fmt.Sprintf("%s failed (%v)", e.call, e.err)
}

func (e *callError) Unwrap() error { return e.err }

// parseCertificates reads every CERTIFICATE block of a PEM file.
func parseCertificates(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" && block.Type != "TRUSTED CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PEM_read_bio_X509() failed (certificate %d: %w)", len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("PEM_read_bio_X509() failed (no PEM certificate found)")
	}
	return certs, nil
}

// loadCertificates loads a certificate file for proxy_ssl_certificate or
// proxy_ssl_trusted_certificate; what names the directive in errors.
func loadCertificates(what, path string) ([]*x509.Certificate, error) {
	data, err := readFile(path)
	if err == nil {
		var certs []*x509.Certificate
		if certs, err = parseCertificates(data); err == nil {
			return certs, nil
		}
	}
	return nil, fmt.Errorf("cannot load %s %q: %w", what, shown(path), err)
}

// shown is how a file value appears in messages: a "data:" value is a
// certificate or, worse, a private key, so only its prefix is shown.
func shown(path string) string {
	if strings.HasPrefix(path, "data:") {
		return "data:..."
	}
	return path
}

// loadCRLs reads every X509 CRL block of the proxy_ssl_crl file.
func loadCRLs(path string) ([]*x509.RevocationList, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot load CRL %q: %w", path, err)
	}
	var crls []*x509.RevocationList
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "X509 CRL" {
			continue // nginx's loader also skips certificates in the file
		}
		crl, err := x509.ParseRevocationList(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("cannot load CRL %q: CRL %d: %w", path, len(crls)+1, err)
		}
		crls = append(crls, crl)
	}
	if len(crls) == 0 {
		return nil, fmt.Errorf("cannot load CRL %q: no PEM CRL found", path)
	}
	return crls, nil
}

// readPasswords reads proxy_ssl_password_file: one passphrase per line,
// tried in order. Like nginx, trailing CR/LF are not part of a passphrase.
func readPasswords(path string) ([][]byte, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read password file %q: %w", path, err)
	}
	var out [][]byte
	for _, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimRight(line, "\r")
		if len(line) > 0 {
			out = append(out, line)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no password found in %q", path)
	}
	return out, nil
}
