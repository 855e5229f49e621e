package check

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteJSON writes the report as one indented JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report for a person: one block per server, one
// per peer, then a summary line.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "strait check: %s\n", r.Config)
	if len(r.Servers) == 0 {
		b.WriteString("\nno server block has proxy_ssl on; nothing to check\n")
	}
	for _, s := range r.Servers {
		writeServer(&b, s)
	}
	failed, checked := r.Failed()
	switch {
	case failed > 0:
		fmt.Fprintf(&b, "\nFAILED: %d of %d peers\n", failed, checked)
	case checked > 0:
		fmt.Fprintf(&b, "\nok: %d peers\n", checked)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeServer(b *strings.Builder, s Server) {
	fmt.Fprintf(b, "\nserver %s (listen %s) -> %s\n", s.Position, strings.Join(s.Listen, " "), s.Upstream)
	verify := "off"
	if s.Verify {
		verify = "on"
	}
	fmt.Fprintf(b, "  name %q, verify %s", s.Name, verify)
	if len(s.Pins) > 0 {
		fmt.Fprintf(b, ", pinned keys: %d", len(s.Pins))
	}
	b.WriteString("\n")
	if s.Error != "" {
		fmt.Fprintf(b, "  FAILED: %s\n", s.Error)
	}
	for _, p := range s.Peers {
		writePeer(b, p)
	}
}

// line writes one "label  value" row of a peer.
func line(b *strings.Builder, label, format string, a ...any) {
	fmt.Fprintf(b, "    %-12s %s\n", label, fmt.Sprintf(format, a...))
}

func writePeer(b *strings.Builder, p Peer) {
	fmt.Fprintf(b, "\n  peer %s", p.Address)
	if p.Server != p.Address {
		fmt.Fprintf(b, " (%s)", p.Server)
	}
	if p.Backup {
		b.WriteString(" backup")
	}
	b.WriteString("\n")
	if p.Down {
		line(b, "skipped", "marked down")
		return
	}
	line(b, "connect", "%s", p.Connect)
	if p.TLS != nil {
		t := p.TLS
		sni := t.ServerName
		if sni == "" {
			sni = "none"
		}
		extra := ""
		if t.ALPN != "" {
			extra = ", ALPN " + t.ALPN
		}
		line(b, "tls", "%s %s, SNI %s%s", t.Protocol, t.Cipher, sni, extra)
	}
	for i, c := range p.Chain {
		label := ""
		if i == 0 {
			label = "chain"
		}
		line(b, label, "%d subject  %s", i, c.Subject)
		line(b, "", "  issuer   %s", c.Issuer)
		line(b, "", "  expires  %s", c.NotAfter.Format(time.DateTime+" MST"))
		line(b, "", "  pin      %s", c.PinSHA256)
	}
	if p.Verify != "" {
		line(b, "verify", "%s", p.Verify)
	}
	if cc := p.ClientCertificate; cc.Requested {
		line(b, "client cert", "%s", clientCertText(cc))
	} else if p.TLS != nil && p.Stage != "handshake" {
		// A failed handshake may end before strait would answer a
		// request, so "not requested" is only known after a full one.
		line(b, "client cert", "not requested")
	}
	if p.Resumed != nil {
		line(b, "resumption", "%s", map[bool]string{true: "resumed", false: "not resumed"}[*p.Resumed])
	}
	if p.OK {
		line(b, "result", "ok")
	} else {
		line(b, "result", "FAILED: %s", p.Error)
	}
}

func clientCertText(cc ClientCertificate) string {
	s := "requested, none sent"
	if cc.Sent {
		s = "requested, sent"
	}
	switch {
	case cc.Accepted == nil:
	case *cc.Accepted:
		s += ", accepted"
	default:
		s += ", refused"
	}
	return s
}
