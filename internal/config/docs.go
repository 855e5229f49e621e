package config

import (
	"fmt"
	"strings"
)

// docsIntro opens docs/directives.md.
const docsIntro = `# Directive reference

<!-- Generated from internal/config's directive table by
     go test ./internal/config -run TestDirectivesDoc -update
     Do not edit by hand. -->

strait reads nginx's configuration syntax and the ` + "`stream {}`" + ` directives
unchanged. Every directive nginx knows in the main, events and stream
contexts is listed here with its status in strait:

- **supported**: parsed, validated and acted upon;
- **accepted, no effect**: parsed and validated so that an nginx
  configuration runs unchanged, but it changes nothing in strait (tuning of
  nginx's worker processes, for example); ` + "`strait -t`" + ` and the start-up log
  warn about each one used;
- **not yet**: refused with ` + "`\"X\" directive is not supported yet in FILE:LINE`" + `;
- **refused**: never supported, with the reason in the error.

An unknown name fails with ` + "`unknown directive \"X\" in FILE:LINE`" + `, followed by
` + "`(did you mean \"Y\"?)`" + ` when a known name is at most two edits away.

## Files and paths

- The configuration file is ` + "`" + DefaultFile + "`" + ` unless ` + "`-c`" + ` names
  another; a relative ` + "`-c`" + ` is taken from the prefix when ` + "`-p`" + ` is given
  (as nginx does) and from the working directory otherwise.
- The prefix (` + "`-p`" + `) defaults to the directory of the configuration file.
  Log files and the pid file are relative to the prefix.
- Files named in directives (certificates, keys, trusted CAs, CRLs,
  password files, includes) are relative to the directory of the
  configuration file, as in nginx.
- ` + "`-g`" + ` directives are applied before the file, in the main context; errors
  in them end with ` + "`in command line`" + `.

## Differences from nginx

- Upstream host names are resolved once at load, through the ` + "`resolver`" + `
  of the stream block when it has one, else the system resolver.
- Checks nginx runs after parsing (no handler, no listen, missing
  certificate files, ` + "`proxy_ssl_verify`" + ` without a trusted certificate) also
  report the file and line they concern.
- ` + "`SSLv2`" + ` and ` + "`SSLv3`" + ` in ` + "`proxy_ssl_protocols`" + ` are errors; ` + "`TLSv1`" + ` and ` + "`TLSv1.1`" + `
  are accepted with a warning.
- ` + "`listen`" + ` without a port is an error (nginx binds a random port).
- TLS to upstreams without ` + "`proxy_ssl_verify on`" + ` is reported as a warning by
  ` + "`strait -t`" + `.
- A PROXY protocol header from a client may arrive in several TCP segments
  (nginx refuses it as a broken header unless its first read holds all of
  it). Bytes that cannot start a header, a v1 line longer than 107 bytes
  (CRLF included) and a v2 header longer than 4096 bytes are still refused
  as soon as they arrive, with status 400.
- ` + "`worker_shutdown_timeout`" + ` also ends sessions still waiting for their PROXY
  protocol header (nginx keeps them until the header or
  ` + "`proxy_protocol_timeout`" + `); they are logged with ` + "`shutdown timeout`" + ` and
  status 200.
- ` + "`geo`" + ` accepts ` + "`volatile`" + ` (as newer nginx releases do), and never reads
  the binary base nginx makes of a large included ranges file
  (` + "`file.bin`" + `): the text is always read.
- A ` + "`split_clients`" + ` line without a value has the empty value (nginx takes
  whatever text its argument list held before).
- After realip, a client address from the PROXY header that is IPv4-mapped
  (` + "`::ffff:1.2.3.4`" + `) shows as ` + "`1.2.3.4`" + `; and when the listener is a unix
  socket, the PROXY header sent upstream (` + "`proxy_protocol on`" + `) is
  ` + "`PROXY UNKNOWN`" + ` where nginx writes the socket path as the server address.
`

// ReferenceMarkdown renders the directive table as docs/directives.md.
func ReferenceMarkdown() string {
	var b strings.Builder
	b.WriteString(docsIntro)
	table := Directives()
	counts := map[Status]int{}
	for _, d := range table {
		counts[d.Status]++
	}
	fmt.Fprintf(&b, "\n%d directives: %d supported, %d accepted with no effect, %d not yet, %d refused.\n",
		len(table), counts[Supported], counts[Ignored], counts[NotYet], counts[Refused])
	module := ""
	for _, d := range table {
		if d.Module != module {
			module = d.Module
			fmt.Fprintf(&b, "\n## %s\n", module)
		}
		fmt.Fprintf(&b, "\n### %s\n\n", d.Name)
		fmt.Fprintf(&b, "- Syntax: `%s`\n", syntaxLine(d))
		if d.Default != "" {
			fmt.Fprintf(&b, "- Default: `%s %s;`\n", d.Name, d.Default)
		}
		fmt.Fprintf(&b, "- Context: %s\n", d.Contexts)
		fmt.Fprintf(&b, "- Status: %s\n\n%s\n", d.Status, d.Doc)
	}
	return b.String()
}

// syntaxLine writes a directive the way nginx's documentation does.
func syntaxLine(d Directive) string {
	s := d.Name
	if d.Syntax != "" {
		s += " " + d.Syntax
	}
	if d.Args&ArgBlock != 0 {
		return s
	}
	return s + ";"
}
