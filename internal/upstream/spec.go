package upstream

import (
	"errors"
	"fmt"
	"time"
)

// Defaults of the nginx `server` parameters in an `upstream` block.
const (
	DefaultWeight      = 1
	DefaultMaxFails    = 1
	DefaultFailTimeout = 10 * time.Second
)

// ServerSpec is one `server` line of an `upstream` block, or the host:port of
// a `proxy_pass` without a block.
//
// The zero value of MaxFails means "no failure accounting", as in nginx's
// max_fails=0, so build specs with DefaultServerSpec (or set every field) to
// get nginx's defaults. A zero Weight is taken as DefaultWeight.
type ServerSpec struct {
	// Name is the server as written: "backend1.example.com:12345" or
	// "unix:/path".
	Name string
	// Addrs are the resolved "ip:port" (or "unix:/path") addresses. A name
	// resolving to N addresses becomes N peers sharing Name, as in nginx.
	Addrs []string
	// Weight is the balancing weight (nginx weight=, default 1).
	Weight int
	// MaxFails is the number of failed attempts within FailTimeout after
	// which the peer is taken out for FailTimeout (default 1). Zero
	// disables failure accounting.
	MaxFails int
	// FailTimeout is both the window for counting failures and the time a
	// peer stays out (default 10s).
	FailTimeout time.Duration
	// MaxConns limits concurrent connections to each address; 0 means
	// unlimited.
	MaxConns int
	// Backup peers are used only when no primary peer is selectable.
	Backup bool
	// Down marks the server permanently unavailable.
	Down bool
	// Resolve makes the server follow DNS (the resolve parameter): the
	// host of Name is looked up again whenever its answer expires, and
	// Addrs are ignored. See Group.Refresh.
	Resolve bool
	// Service, with Resolve, looks up SRV records instead (service=);
	// Name is then a host without a port.
	Service string

	// origin is the DNS name a spec expanded from a resolved answer
	// came from; empty for servers of the configuration.
	origin string
}

// DefaultServerSpec returns a spec with nginx's defaults: weight=1,
// max_fails=1, fail_timeout=10s.
func DefaultServerSpec(name string, addrs ...string) ServerSpec {
	return ServerSpec{
		Name:        name,
		Addrs:       addrs,
		Weight:      DefaultWeight,
		MaxFails:    DefaultMaxFails,
		FailTimeout: DefaultFailTimeout,
	}
}

// errNoServers mirrors nginx's `no servers in upstream "name"`.
var errNoServers = errors.New("no servers in upstream")

// validate checks one spec. Messages name the server; the config package
// adds the file:line it knows.
func (s ServerSpec) validate() error {
	switch {
	case s.Name == "":
		return errors.New("server has no name")
	case len(s.Addrs) == 0 && !s.Resolve:
		return fmt.Errorf("server %q has no addresses", s.Name)
	case s.Weight < 0:
		return fmt.Errorf("server %q: invalid weight %d", s.Name, s.Weight)
	case s.MaxFails < 0:
		return fmt.Errorf("server %q: invalid max_fails %d", s.Name, s.MaxFails)
	case s.FailTimeout < 0:
		return fmt.Errorf("server %q: invalid fail_timeout %s", s.Name, s.FailTimeout)
	case s.MaxConns < 0:
		return fmt.Errorf("server %q: invalid max_conns %d", s.Name, s.MaxConns)
	}
	for _, a := range s.Addrs {
		if a == "" {
			return fmt.Errorf("server %q has an empty address", s.Name)
		}
	}
	return nil
}

func (s ServerSpec) weight() int {
	if s.Weight == 0 {
		return DefaultWeight
	}
	return s.Weight
}
