package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/straitproxy/strait/internal/config"
)

// Env is what Main needs from the process; tests supply their own.
type Env struct {
	Stdout, Stderr io.Writer
	Getwd          func() (string, error)
	// Now is the clock -t judges certificate expiry by; nil means
	// time.Now.
	Now func() time.Time
}

// Main runs the command line and returns the exit status.
func Main(args []string, env Env) int {
	if env.Getwd == nil {
		env.Getwd = os.Getwd
	}
	if env.Now == nil {
		env.Now = time.Now
	}
	f, err := parseFlags(args)
	if err != nil {
		fmt.Fprintf(env.Stderr, "strait: %v\n", err)
		return 1
	}
	switch f.command {
	case "version":
		printVersion(env.Stdout, len(f.commandArg) > 0 && f.commandArg[0] == "-v")
		return 0
	case "help":
		fmt.Fprint(env.Stdout, usage())
		return 0
	case "demo":
		return runDemo(f.commandArg, env)
	case "pki":
		return runPKI(f.commandArg, env)
	case "check":
		return runCheck(f.commandArg, env)
	}
	if f.version {
		printVersion(env.Stderr, f.configure)
		if f.help {
			fmt.Fprint(env.Stderr, "\n"+usage())
		}
		return 0
	}
	opts, err := loadOptions(f, env)
	if err != nil {
		fmt.Fprintf(env.Stderr, "strait: [emerg] %v\n", err)
		return 1
	}
	if f.signal != "" {
		return sendSignal(f.signal, opts, env)
	}
	if f.test {
		return testConfig(f, opts, env)
	}
	return run(f, opts, env)
}

// loadOptions turns -c/-p/-g into config.LoadOptions. A relative -c is
// taken from the prefix when -p is given (as nginx does) and from the
// working directory otherwise.
func loadOptions(f *flags, env Env) (config.LoadOptions, error) {
	file := f.confFile
	if file == "" {
		file = DefaultConfFile
	}
	prefix := f.prefix
	if prefix != "" && !filepath.IsAbs(prefix) {
		wd, err := env.Getwd()
		if err != nil {
			return config.LoadOptions{}, err
		}
		prefix = filepath.Join(wd, prefix)
	}
	if !filepath.IsAbs(file) {
		base := prefix
		if base == "" {
			wd, err := env.Getwd()
			if err != nil {
				return config.LoadOptions{}, err
			}
			base = wd
		}
		file = filepath.Join(base, file)
	}
	return config.LoadOptions{File: file, Prefix: prefix, Globals: f.globals}, nil
}
