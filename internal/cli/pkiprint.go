package cli

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/straitproxy/strait/internal/pki"
)

// printIssued says what was written and how to use it: the directives of
// the article for strait's client certificate, the files an upstream
// server needs for a server certificate.
func printIssued(out io.Writer, ca *pki.CA, is *pki.Issued, pwFile string) {
	names := ""
	if len(is.SANs) > 0 {
		names = " for " + strings.Join(is.SANs, ", ")
	}
	fmt.Fprintf(out, "issued %s certificate %q%s, serial %s, valid until %s\n",
		is.Kind, is.Name, names, is.Serial, is.NotAfter.Format(time.DateOnly))
	enc := ""
	if is.Encrypted {
		enc = " (encrypted)"
	}
	fmt.Fprintf(out, "  %s  certificate, then the intermediate CA\n  %s  key%s\n", is.CertFile, is.KeyFile, enc)
	if is.Kind == pki.Server {
		fmt.Fprintf(out, "the upstream serves %s with %s and trusts strait's client certificate through %s\n",
			is.CertFile, is.KeyFile, ca.Path(pki.RootCertFile))
		return
	}
	fmt.Fprintf(out, "\nfor strait (or nginx), in stream or server:\n")
	fmt.Fprintf(out, "    proxy_ssl_certificate         %s;\n", is.CertFile)
	fmt.Fprintf(out, "    proxy_ssl_certificate_key     %s;\n", is.KeyFile)
	if is.Encrypted {
		fmt.Fprintf(out, "    proxy_ssl_password_file       %s;\n", orPlaceholder(pwFile))
	}
	fmt.Fprintf(out, "    proxy_ssl_trusted_certificate %s;\n", ca.Path(pki.RootCertFile))
	fmt.Fprintf(out, "    proxy_ssl_verify              on;\n")
	fmt.Fprintf(out, "    proxy_ssl_verify_depth        2;\n")
	fmt.Fprintf(out, "    proxy_ssl_crl                 %s;\n", ca.Path(pki.CRLFile))
}

func orPlaceholder(s string) string {
	if s == "" {
		return "PASSWORD-FILE"
	}
	return s
}

func printCRL(out io.Writer, ca *pki.CA) {
	fmt.Fprintf(out, "wrote %s (root and intermediate CRLs), current until %s: run `strait pki crl` before then, and reload\n",
		ca.Path(pki.CRLFile), ca.CRLNextUpdate().Format(time.DateOnly))
}

func pkiList(ca *pki.CA, out io.Writer) error {
	entries := ca.List()
	if len(entries) == 0 {
		fmt.Fprintf(out, "nothing issued yet by the CA in %s\n", ca.Dir)
		return nil
	}
	tw := tabwriter.NewWriter(out, 2, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tSERIAL\tEXPIRES\tSTATUS\tNAMES")
	for _, e := range entries {
		status := e.Status
		if e.Revoked != nil {
			status += " " + e.Revoked.Format(time.DateOnly)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Name, e.Kind, e.Serial,
			e.NotAfter.Format(time.DateOnly), status, strings.Join(e.SANs, ","))
	}
	return tw.Flush()
}
