package cipherlist

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

const (
	corpusPath = "testdata/corpus.txt"
	goldenDir  = "testdata/golden"
)

// readCorpus returns the expressions in testdata/corpus.txt.
func readCorpus(tb testing.TB) []string {
	tb.Helper()
	f, err := os.Open(corpusPath)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var exprs []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
			continue
		case strings.HasPrefix(line, `"`):
			s, err := strconv.Unquote(line)
			if err != nil {
				tb.Fatalf("%s:%d: %v", corpusPath, n, err)
			}
			line = s
		}
		exprs = append(exprs, line)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return exprs
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9.=+-]+`)

// goldenPath names an expression's golden file: a readable stem plus a hash,
// so that expressions differing only in punctuation do not collide.
func goldenPath(expr string) string {
	stem := strings.Trim(unsafeFileChars.ReplaceAllString(expr, "_"), "_-+.")
	if len(stem) > 40 {
		stem = stem[:40]
	}
	if stem == "" {
		stem = "empty"
	}
	sum := sha256.Sum256([]byte(expr))
	return filepath.Join(goldenDir, fmt.Sprintf("%s-%x.txt", stem, sum[:4]))
}

// render formats a result the way golden files hold it: the quoted
// expression, then one "NAME 0xID" line per suite or one "error: REASON".
func render(expr string, ids []uint16, err error) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %q\n", expr)
	switch {
	case errors.Is(err, ErrNoCipherMatch), errors.Is(err, ErrInvalidCommand):
		fmt.Fprintf(&b, "error: %v\n", errors.Unwrap(err))
	case err != nil:
		fmt.Fprintf(&b, "unexpected error: %v\n", err)
	}
	for _, id := range ids {
		fmt.Fprintf(&b, "%s 0x%04X\n", Name(id), id)
	}
	return b.String()
}

// requireOpenSSL returns the openssl binary, skipping the test when it is
// missing outside CI and failing it when it is missing in CI.
func requireOpenSSL(tb testing.TB) string {
	tb.Helper()
	path, err := exec.LookPath("openssl")
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		tb.Fatalf("openssl is required when CI=true: %v", err)
	}
	tb.Skipf("openssl not installed (%v); set CI=true to make this a failure", err)
	return ""
}

// suiteLine matches one line of `openssl ciphers -V`:
// "0xC0,0x2F - ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 Kx=ECDH Au=RSA Enc=AESGCM(128) Mac=AEAD".
var suiteLine = regexp.MustCompile(`^\s*0x([0-9A-F]{2}),0x([0-9A-F]{2}) - (\S+)\s+(\S+)\s+Kx=(\S+)\s+Au=(\S+)\s+Enc=(\S+)\s+Mac=(\S+)`)

// opensslSuite is one suite as `openssl ciphers -V` describes it.
type opensslSuite struct {
	id                              uint16
	name, version, kx, au, enc, mac string
}

// runOpenSSL lists what `openssl ciphers -V -s -tls1_2` offers for expr,
// without the system configuration so that the built-in defaults apply.
// A refused expression is returned as ErrNoCipherMatch or ErrInvalidCommand.
func runOpenSSL(tb testing.TB, bin, expr string) ([]opensslSuite, error) {
	tb.Helper()
	cmd := exec.Command(bin, "ciphers", "-V", "-s", "-tls1_2", "--", expr)
	cmd.Env = append(os.Environ(), "OPENSSL_CONF="+os.DevNull)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		switch msg := stderr.String(); {
		case strings.Contains(msg, "no cipher match"):
			return nil, ErrNoCipherMatch
		case strings.Contains(msg, "invalid command"):
			return nil, ErrInvalidCommand
		default:
			tb.Fatalf("openssl ciphers %q: %v: %s", expr, err, msg)
		}
	}
	var out []opensslSuite
	for _, line := range strings.Split(stdout.String(), "\n") {
		m := suiteLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		hi, _ := strconv.ParseUint(m[1], 16, 8)
		lo, _ := strconv.ParseUint(m[2], 16, 8)
		out = append(out, opensslSuite{id: uint16(hi<<8 | lo), name: m[3], version: m[4], kx: m[5], au: m[6], enc: m[7], mac: m[8]})
	}
	return out, nil
}

// opensslResult is what Evaluate should return for expr according to the
// real openssl: its list restricted to Go's suites, and ErrNoCipherMatch
// when that leaves nothing.
func opensslResult(tb testing.TB, bin, expr string) ([]uint16, error) {
	tb.Helper()
	suites, err := runOpenSSL(tb, bin, expr)
	if err != nil {
		return nil, &ExprError{Expr: expr, Err: err}
	}
	var ids []uint16
	for _, s := range suites {
		if inCatalog(s.id) {
			ids = append(ids, s.id)
		}
	}
	if len(ids) == 0 {
		return nil, &ExprError{Expr: expr, Err: ErrNoCipherMatch}
	}
	return ids, nil
}

func inCatalog(id uint16) bool {
	for _, s := range Suites() {
		if s.ID == id {
			return true
		}
	}
	return false
}
