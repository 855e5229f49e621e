package cli

import "strings"

// entry documents one option or command. The same table prints `strait
// -h` and the OPTIONS and COMMANDS of strait(8), so the two cannot drift;
// TestOptionsMatchParser ties it to parseFlags.
type entry struct {
	name string // as typed: "-s", "-?,-h", "demo"
	arg  string // placeholder of its value, "" for none
	help string // -h's text; "\n" where -h wraps its column
	man  string // the man page's further paragraph, "" for none
}

var options = []entry{
	{name: "-?,-h", help: "this help"},
	{name: "-v", help: "show version and exit"},
	{name: "-V", help: "show version and build details and exit"},
	{name: "-t", help: "test configuration and exit",
		man: "Like nginx, strait loads every certificate, key and trust file, opens every log file the configuration names (creating the missing ones, as a start would) and checks that the pid file can be written, so a missing directory fails the test rather than the start. Unlike nginx it does not create an empty pid file. Risky settings and directives without effect in strait are reported as warnings."},
	{name: "-T", help: "test configuration, dump it and exit",
		man: "The dump is every file read, each preceded by a comment naming it."},
	{name: "-q", help: "suppress non-error messages during configuration testing"},
	{name: "-s", arg: "signal", help: "send signal to a running instance: stop, quit, reopen, reload",
		man: "The configuration is read only to find the pid file. stop sends TERM (exit at once), quit sends QUIT (stop accepting and let sessions finish within worker_shutdown_timeout), reopen sends USR1 (reopen log files) and reload sends HUP (load the configuration again)."},
	{name: "-p", arg: "prefix", help: "set prefix path (default: the configuration file's directory)",
		man: "Relative log and pid file paths resolve against the prefix; a relative -c is taken from it too."},
	{name: "-e", arg: "filename", help: "set error log file (default: stderr)",
		man: "Used until the configuration's error_log takes over, and when the configuration names none."},
	{name: "-c", arg: "filename", help: "set configuration file (default: " + DefaultConfFile + ")",
		man: "A relative name is taken from the working directory, or from the prefix when -p is given."},
	{name: "-g", arg: "directives", help: "set global directives out of configuration file",
		man: "They are read before the file, in the main context, for example -g 'daemon off;'. A directive given both here and in the file is an error, as in nginx."},
}

var commands = []entry{
	{name: "check", help: "connect to every upstream peer of every server with\nproxy_ssl on, with its TLS settings, and report the\nhandshake, chain and verdict; exit 1 if any peer fails",
		man: "strait check [-c filename] [-p prefix] [--json] reads the configuration as -t does, then for each peer prints the TCP connect, the TLS version and cipher, the chain presented, the verification result in nginx's words, whether a client certificate was requested and accepted, and whether a second connection resumed the session. Exit status 0 when every peer is usable, 1 when one fails, 2 for a usage or configuration error. See docs/certificates.md for the JSON schema."},
	{name: "demo", help: "start a demonstration: an internal CA, three mutual-TLS\nupstreams and strait proxying to them, until Ctrl-C",
		man: "It runs nginx's \"Securing TCP Traffic to Upstream Servers\" configuration on 127.0.0.1 against three upstream echo servers that require a client certificate, sends a message through and prints what each hop negotiated. Options: -dir DIR keeps the certificates, configuration and logs in DIR (by default a temporary directory holds them and is removed when the demo stops); -listen ADDR sets strait's listen address; -once exits after the demonstration; -client sends each line of standard input to a running demo and prints its answer, for systems without nc or socat."},
	{name: "pki", help: "an internal CA: certificates for upstreams and for\nstrait, CRLs (strait pki -h)",
		man: "strait pki init creates a root and an intermediate CA; strait pki issue server|client NAME issues certificates; renew, revoke, crl and list manage them. The files are named as nginx's \"Securing TCP Traffic to Upstream Servers\" configuration names them; see docs/certificates.md."},
	{name: "version", help: "show version and exit",
		man: "strait version -v prints the build details, as -V does."},
}

// demoOptions are the options of `strait demo`, printed by `strait demo
// -h` in the style of `strait -h`.
var demoOptions = []entry{
	{name: "-dir", arg: "dir", help: "keep the certificates, configuration and logs in dir\n(default: a temporary directory, removed on exit)"},
	{name: "-listen", arg: "address", help: "strait's listen address (default: 127.0.0.1:12345,\nor a port the system picks when that one is taken)"},
	{name: "-once", help: "show the demonstration and exit instead of running\nuntil Ctrl-C"},
	{name: "-client", help: "send each line of standard input to a running demo\n(at -listen) and print its answer"},
	{name: "-h", help: "this help"},
}

func demoUsage() string {
	var b strings.Builder
	b.WriteString(`Usage: strait demo [-dir dir] [-listen address] [-once]
       strait demo -client [-listen address]

Options:
`)
	writeColumn(&b, demoOptions, 18)
	return b.String()
}

// usage is the text of -h and `strait help`.
func usage() string {
	var b strings.Builder
	b.WriteString(`Usage: strait [-?hvVtTq] [-s signal] [-p prefix]
             [-e filename] [-c filename] [-g directives]
       strait check [-c filename] [-p prefix] [--json]
       strait demo [-dir dir] [-listen address] [-once] [-client]
       strait pki init|issue|renew|revoke|crl|list [options]
       strait version

Options:
`)
	writeColumn(&b, options, 14)
	b.WriteString("\nCommands:\n")
	writeColumn(&b, commands, 14)
	return b.String()
}

// writeColumn prints entries as nginx's -h does: name and argument padded
// to width, a colon, the help; continuation lines align with the help.
func writeColumn(b *strings.Builder, entries []entry, width int) {
	for _, e := range entries {
		name := e.name
		if e.arg != "" {
			name += " " + e.arg
		}
		for i, line := range strings.Split(e.help, "\n") {
			if i == 0 {
				b.WriteString("  " + name + strings.Repeat(" ", max(1, width-len(name))) + ": " + line + "\n")
			} else {
				b.WriteString(strings.Repeat(" ", width+4) + line + "\n")
			}
		}
	}
}
