// Package cli is strait's command line: nginx's flags (-c -p -e -g -t -T
// -q -s -v -V -h) plus the `check`, `demo`, `pki` and `version` commands. It parses
// arguments, loads and tests configuration, signals a running instance and
// runs the server under signal control; cmd/strait only calls Main.
package cli

import (
	"fmt"
	"strings"
)

// DefaultConfFile is used when -c is not given.
const DefaultConfFile = "/etc/strait/strait.conf"

// flags holds the parsed command line.
type flags struct {
	confFile   string
	prefix     string
	errorLog   string
	globals    string
	test       bool // -t
	dump       bool // -T
	quiet      bool // -q
	signal     string
	version    bool // -v
	configure  bool // -V
	help       bool // -h, -?
	command    string
	commandArg []string
}

// parseFlags reads nginx-style options: single-letter flags may be grouped
// (-tq), and -c/-p/-e/-g/-s take their value attached (-cfile) or as the
// next argument, as nginx's ngx_get_options does.
func parseFlags(args []string) (*flags, error) {
	f := &flags{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			if i == 0 && (a == "check" || a == "demo" || a == "pki" || a == "version" || a == "help") {
				f.command = a
				f.commandArg = args[1:]
				return f, nil
			}
			return nil, fmt.Errorf("invalid option: %q", a)
		}
		for j := 1; j < len(a); j++ {
			c := a[j]
			switch c {
			case 't':
				f.test = true
			case 'T':
				f.test, f.dump = true, true
			case 'q':
				f.quiet = true
			case 'v':
				f.version = true
			case 'V':
				f.version, f.configure = true, true
			case 'h', '?':
				f.version, f.help = true, true
			case 'c', 'p', 'e', 'g', 's':
				val := a[j+1:]
				if val == "" {
					if i+1 >= len(args) {
						return nil, fmt.Errorf("option \"-%c\" requires %s", c, optionNeeds(c))
					}
					i++
					val = args[i]
				}
				if err := f.set(c, val); err != nil {
					return nil, err
				}
				j = len(a)
			default:
				return nil, fmt.Errorf("invalid option: %q", a[j:])
			}
		}
	}
	return f, nil
}

func optionNeeds(c byte) string {
	switch c {
	case 'c':
		return "file name"
	case 'p':
		return "directory name"
	case 'e':
		return "file name"
	case 'g':
		return "parameter"
	}
	return "signal name"
}

func (f *flags) set(c byte, val string) error {
	switch c {
	case 'c':
		f.confFile = val
	case 'p':
		f.prefix = val
	case 'e':
		f.errorLog = val
	case 'g':
		f.globals = val
	case 's':
		switch val {
		case "stop", "quit", "reopen", "reload":
			f.signal = val
		default:
			return fmt.Errorf("invalid option: \"-s %s\"", val)
		}
	}
	return nil
}
