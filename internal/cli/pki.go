package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/straitproxy/strait/internal/pki"
)

// pkiOptions returns the options of a command of `strait pki`, or nil
// for an unknown command.
func pkiOptions(cmd string) map[string]optKind {
	switch cmd {
	case "init":
		return map[string]optKind{"dir": optValue, "rsa": optOptional, "name": optValue, "days": optValue, "force": optFlag}
	case "issue":
		return map[string]optKind{"dir": optValue, "san": optValue, "days": optValue, "encrypt": optFlag, "password-file": optValue, "force": optFlag}
	case "renew":
		return map[string]optKind{"dir": optValue, "days": optValue, "password-file": optValue}
	case "crl":
		return map[string]optKind{"dir": optValue, "days": optValue}
	case "revoke", "list":
		return map[string]optKind{"dir": optValue}
	}
	return nil
}

// usageError is a mistake on the command line (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

// runPKI implements `strait pki`.
func runPKI(args []string, env Env) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-?" {
		out, code := env.Stdout, 0
		if len(args) == 0 {
			out, code = env.Stderr, 2
		}
		fmt.Fprint(out, pkiUsage)
		return code
	}
	cmd := args[0]
	allowed := pkiOptions(cmd)
	if allowed == nil {
		fmt.Fprintf(env.Stderr, "strait: pki: unknown command %q (see strait pki -h)\n", cmd)
		return 2
	}
	a, err := parsePKIArgs(args[1:], allowed)
	if err != nil {
		err = usageError{err.Error()}
	} else if a.help {
		fmt.Fprint(env.Stdout, pkiUsage)
		return 0
	}
	if err == nil {
		err = pkiCommand(cmd, a, env)
	}
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(env.Stderr, "strait: pki %s: %v (see strait pki -h)\n", cmd, err)
		return 2
	default:
		fmt.Fprintf(env.Stderr, "strait: [emerg] pki %s: %v\n", cmd, err)
		return 1
	}
}

func pkiCommand(cmd string, a *pkiArgs, env Env) error {
	out := env.Stdout
	// The current directory by default, not /etc/strait/pki: the CA keys
	// belong on the machine of whoever runs the CA (often not a proxy),
	// and a first try needs no root. The files to copy to proxies and
	// upstreams are named in what each command prints.
	wd, err := env.Getwd()
	if err != nil {
		return err
	}
	abs := func(p string) string {
		if p != "" && !filepath.IsAbs(p) {
			return filepath.Join(wd, p)
		}
		return p
	}
	dir := a.last("dir")
	if dir == "" {
		dir = wd
	}
	dir = abs(dir)
	if a.has("password-file") {
		a.opts["password-file"] = []string{abs(a.last("password-file"))}
	}
	days, err := daysOption(a)
	if err != nil {
		return err
	}
	if cmd == "init" {
		return pkiInit(dir, days, a, out)
	}
	ca, err := pki.Open(dir, pki.Env{})
	if err != nil {
		return err
	}
	switch cmd {
	case "issue":
		return pkiIssue(ca, days, a, out)
	case "renew":
		if len(a.pos) != 1 {
			return usagef("renew takes one NAME")
		}
		pwFile := a.last("password-file")
		pw, err := readPassword(pwFile)
		if err != nil {
			return err
		}
		is, err := ca.Renew(a.pos[0], days, pw)
		if err != nil {
			return err
		}
		printIssued(out, ca, is, pwFile)
		return nil
	case "revoke":
		if len(a.pos) != 1 {
			return usagef("revoke takes one NAME")
		}
		done, err := ca.Revoke(a.pos[0])
		if err != nil {
			return err
		}
		for _, r := range done {
			fmt.Fprintf(out, "revoked %s certificate %q, serial %s\n", r.Kind, r.Name, r.Serial)
		}
		printCRL(out, ca)
		return nil
	case "crl":
		if err := ca.RefreshCRL(days); err != nil {
			return err
		}
		printCRL(out, ca)
		return nil
	}
	return pkiList(ca, out)
}

func daysOption(a *pkiArgs) (int, error) {
	if !a.has("days") {
		return 0, nil
	}
	n, err := strconv.Atoi(a.last("days"))
	if err != nil || n < 1 {
		return 0, usagef("--days wants a positive number of days, not %q", a.last("days"))
	}
	return n, nil
}

func pkiInit(dir string, days int, a *pkiArgs, out io.Writer) error {
	if len(a.pos) != 0 {
		return usagef("init takes no arguments, not %q", a.pos[0])
	}
	var key pki.KeyAlgorithm
	if a.has("rsa") {
		key.RSABits = pki.DefaultRSABits
		if v := a.last("rsa"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				return usagef("--rsa wants 2048, 3072 or 4096, not %q", v)
			}
			key.RSABits = n
		}
	}
	ca, err := pki.Init(dir, pki.InitOptions{Key: key, Org: a.last("name"), Days: days, Force: a.has("force")}, pki.Env{})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "created a CA (%s) in %s, valid until %s\n", ca.Key(), ca.Dir, ca.Root.NotAfter.Format(time.DateOnly))
	tw := tabwriter.NewWriter(out, 2, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "  %s\troot CA: proxy_ssl_trusted_certificate\n", ca.Path(pki.RootCertFile))
	fmt.Fprintf(tw, "  %s\tintermediate CA: signs what `strait pki issue` makes\n", ca.Path(pki.IntermediateCertFile))
	fmt.Fprintf(tw, "  %s\tCRLs of both: proxy_ssl_crl, current until %s\n", ca.Path(pki.CRLFile), ca.CRLNextUpdate().Format(time.DateOnly))
	fmt.Fprintf(tw, "  %s\tthe CA keys: keep them off proxies and upstreams\n", ca.Path(pki.PrivateDir)+"/")
	tw.Flush()
	fmt.Fprintf(out, "next: strait pki issue client backend; strait pki issue server backend1.example.com --san backend\n")
	return nil
}

func pkiIssue(ca *pki.CA, days int, a *pkiArgs, out io.Writer) error {
	if len(a.pos) != 2 || (a.pos[0] != "server" && a.pos[0] != "client") {
		return usagef("issue wants server NAME or client NAME")
	}
	kind := pki.Kind(a.pos[0])
	if kind == pki.Client && a.has("san") {
		return usagef("client certificates carry no --san")
	}
	pwFile := a.last("password-file")
	if a.has("encrypt") != (pwFile != "") {
		return usagef("--encrypt and --password-file go together")
	}
	pw, err := readPassword(pwFile)
	if err != nil {
		return err
	}
	var sans []string
	for _, s := range a.opts["san"] {
		sans = append(sans, strings.Split(s, ",")...)
	}
	is, err := ca.Issue(pki.Request{Kind: kind, Name: a.pos[1], SANs: sans, Days: days, Password: pw, Force: a.has("force")})
	if err != nil {
		return err
	}
	printIssued(out, ca, is, pwFile)
	return nil
}

// readPassword returns the first line of path, as the password that
// proxy_ssl_password_file will try first; "" gives none.
func readPassword(path string) ([]byte, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("password file: %w", err)
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if len(line) == 0 {
		return nil, fmt.Errorf("password file %s: the first line is empty", path)
	}
	return line, nil
}
