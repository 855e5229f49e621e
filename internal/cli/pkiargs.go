package cli

import (
	"fmt"
	"strings"
)

// optKind says whether an option of `strait pki` takes a value.
type optKind int

const (
	optFlag     optKind = iota // --force
	optValue                   // --dir DIR, --dir=DIR
	optOptional                // --rsa, --rsa 4096, --rsa=4096: a value only when it is a number
)

// pkiArgs are the parsed arguments of one `strait pki` command.
type pkiArgs struct {
	opts map[string][]string // option name (without dashes) -> values, in order
	pos  []string            // positional arguments
	help bool
}

func (a *pkiArgs) has(name string) bool { _, ok := a.opts[name]; return ok }

func (a *pkiArgs) last(name string) string {
	v := a.opts[name]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// parsePKIArgs reads options anywhere among the positional arguments
// (`issue server NAME --san x` reads naturally, and Go's flag package
// stops at the first positional one), with one or two leading dashes,
// values attached by "=" or in the next argument; "--" ends the options.
func parsePKIArgs(args []string, allowed map[string]optKind) (*pkiArgs, error) {
	a := &pkiArgs{opts: map[string][]string{}}
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			a.pos = append(a.pos, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(arg, "-") || arg == "-" {
			a.pos = append(a.pos, arg)
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if name == "h" || name == "help" || name == "?" {
			a.help = true
			continue
		}
		kind, ok := allowed[name]
		if !ok {
			return nil, fmt.Errorf("unknown option %q", arg)
		}
		switch {
		case kind == optFlag && hasVal:
			return nil, fmt.Errorf("option \"--%s\" takes no value", name)
		case kind == optFlag:
			val = ""
		case hasVal:
		case kind == optValue:
			if i+1 >= len(args) {
				return nil, fmt.Errorf("option \"--%s\" requires a value", name)
			}
			i++
			val = args[i]
		case kind == optOptional && i+1 < len(args) && isNumber(args[i+1]):
			i++
			val = args[i]
		}
		a.opts[name] = append(a.opts[name], val)
	}
	return a, nil
}

func isNumber(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

const pkiUsage = `Usage: strait pki init [--dir DIR] [--rsa [BITS]] [--name ORG] [--days N] [--force]
       strait pki issue server NAME [--san DNS|IP]... [--days N]
                               [--encrypt --password-file FILE] [--force]
       strait pki issue client NAME [--days N] [--encrypt --password-file FILE] [--force]
       strait pki renew NAME [--days N] [--password-file FILE]
       strait pki revoke NAME
       strait pki crl [--days N]
       strait pki list

An internal CA for TLS to upstream servers: a root CA, an intermediate CA
that signs certificates for upstreams (server) and for strait (client), and
the CRLs of both, in files named as in nginx's "Securing TCP Traffic to
Upstream Servers": trusted_ca_cert.crt (the root), NAME.crt (certificate
and intermediate), NAME.key, crl.pem. The CA keys stay in DIR/private.

Commands:
  init          : create the root and intermediate CAs (ECDSA P-256)
  issue         : issue a server or client certificate with a new key
  renew         : issue NAME again with a new key, the same names and
                  validity; the previous certificate stays valid
  revoke        : revoke every certificate of NAME and rewrite crl.pem
  crl           : rewrite crl.pem, current for N days (default: 30)
  list          : show what was issued, when it expires, what is revoked

Options:
  -h            : this help
  --dir DIR     : the CA's directory (default: the current directory)
  --rsa [BITS]  : RSA keys of 2048, 3072 (default) or 4096 bits
  --name ORG    : organization in every subject (default: strait)
  --days N      : validity (default: 3650 for CAs, 365 for certificates,
                  the previous length for renew, 30 for CRLs)
  --san DNS|IP  : a name of the server (default: NAME); repeat for more
  --encrypt     : encrypt the key (PKCS#8, AES-256) with the password file
  --password-file FILE
                : its first line is the key's password; give the same file
                  to proxy_ssl_password_file
  --force       : replace an existing CA, or files the CA did not issue
`
