package resolver

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"strings"
	"time"
)

// Client resolves names through a resolver directive's name servers.
// The zero value of every field but Servers has a useful default.
type Client struct {
	// Servers are the name servers, "ip:port", asked in turn.
	Servers []string
	// Timeout bounds one lookup, all retries included
	// (resolver_timeout); zero means 30s.
	Timeout time.Duration
	// Retry is how long one query waits for its answer before it is
	// sent to the next server; zero means 1s, at most Timeout.
	Retry time.Duration
	// Valid replaces the TTLs of answers when set (valid=).
	Valid time.Duration
	// NoIPv4 and NoIPv6 skip A or AAAA queries (ipv4=off, ipv6=off).
	NoIPv4, NoIPv6 bool
	// Dial opens the UDP socket to a server; nil uses net.Dialer.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Rand draws query ids; nil uses math/rand/v2.
	Rand func() uint16
}

// Addr is one address of an answer. For SRV answers Port, Target,
// Priority and Weight come from the SRV record whose target has the
// address; for A and AAAA answers they are zero.
type Addr struct {
	IP       netip.Addr
	Port     uint16
	Target   string
	Priority uint16
	Weight   uint16
}

// Answer is a successful lookup.
type Answer struct {
	Addrs []Addr
	// TTL is how long the answer stays valid: the smallest TTL of the
	// records used, or Valid.
	TTL time.Duration
	// TargetErrors are SRV targets that could not be resolved while
	// others could, by target name, for the log.
	TargetErrors map[string]error
}

func (c *Client) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return 30 * time.Second
}

// LookupHost resolves host to its IPv4 and IPv6 addresses. A name with
// neither is NXDomain, as nginx's resolver reports it.
func (c *Client) LookupHost(ctx context.Context, host string) (Answer, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	ips, ttl, err := c.lookupIPs(ctx, host)
	if err != nil {
		return Answer{}, err
	}
	out := Answer{TTL: c.ttl(ttl)}
	for _, ip := range ips {
		out.Addrs = append(out.Addrs, Addr{IP: ip})
	}
	return out, nil
}

// LookupSRV resolves the SRV records of name (already prefixed with
// the service) and the addresses of their targets, using those in the
// additional section when the server sent them.
func (c *Client) LookupSRV(ctx context.Context, name string) (Answer, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	m, resp, err := c.exchange(ctx, name, typeSRV)
	if err != nil {
		return Answer{}, err
	}
	recs, err := resp.srvs(m, strings.ToLower(strings.TrimSuffix(name, ".")))
	if err != nil {
		return Answer{}, &Error{Code: FormErr}
	}
	if len(recs) == 0 {
		return Answer{}, &Error{Code: NXDomain}
	}
	ttl := ^uint32(0)
	out := Answer{}
	var firstErr error
	for _, r := range recs {
		ttl = min(ttl, r.ttl)
		ips, ipTTL := resp.addrs(m, r.target)
		if len(ips) == 0 {
			var err error
			if ips, ipTTL, err = c.lookupIPs(ctx, r.target); err != nil {
				if out.TargetErrors == nil {
					out.TargetErrors = map[string]error{}
				}
				out.TargetErrors[r.target] = err
				if firstErr == nil || errors.Is(err, &Error{Code: NXDomain}) {
					firstErr = err
				}
				continue
			}
		}
		ttl = min(ttl, ipTTL)
		for _, ip := range ips {
			out.Addrs = append(out.Addrs, Addr{IP: ip, Port: r.port, Target: r.target, Priority: r.priority, Weight: r.weight})
		}
	}
	if len(out.Addrs) == 0 {
		// ngx_resolver_report_srv: NXDOMAIN when any target had it,
		// else the first target's failure.
		return Answer{}, firstErr
	}
	out.TTL = c.ttl(ttl)
	return out, nil
}

// Is matches Errors by code, so errors.Is(err, &Error{Code: NXDomain})
// asks whether err is a NXDOMAIN.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

func (c *Client) ttl(ttl uint32) time.Duration {
	if c.Valid > 0 {
		return c.Valid
	}
	return time.Duration(ttl) * time.Second
}

// lookupIPs asks for A then AAAA records of host, as enabled. Addresses
// of either kind make a success; without any, NXDOMAIN unless a query
// failed otherwise.
func (c *Client) lookupIPs(ctx context.Context, host string) ([]netip.Addr, uint32, error) {
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	var ips []netip.Addr
	ttl := ^uint32(0)
	var failed error
	for _, t := range []uint16{typeA, typeAAAA} {
		if (t == typeA && c.NoIPv4) || (t == typeAAAA && c.NoIPv6) {
			continue
		}
		m, resp, err := c.exchange(ctx, name, t)
		if err != nil {
			if failed == nil || errors.Is(err, &Error{Code: NXDomain}) {
				failed = err
			}
			continue
		}
		got, t := resp.addrs(m, name)
		if len(got) > 0 {
			ips, ttl = append(ips, got...), min(ttl, t)
		}
	}
	if len(ips) > 0 {
		return ips, ttl, nil
	}
	if failed != nil {
		return nil, 0, failed
	}
	return nil, 0, &Error{Code: NXDomain}
}

// exchange sends one query to the servers in turn, starting at a random
// one as nginx spreads queries, until an answer with the query's id
// arrives or ctx ends. A response code other than success is an Error.
func (c *Client) exchange(ctx context.Context, name string, qtype uint16) ([]byte, *response, error) {
	if len(c.Servers) == 0 {
		return nil, nil, errors.New("no resolver defined")
	}
	rnd := c.Rand
	if rnd == nil {
		rnd = func() uint16 { return uint16(rand.Uint32()) }
	}
	retry := c.Retry
	if retry <= 0 {
		retry = time.Second
	}
	buf := make([]byte, 4096)
	start := int(rnd()) % len(c.Servers)
	for i := 0; ctx.Err() == nil; i++ {
		id := rnd()
		q, err := query(id, name, qtype)
		if err != nil {
			return nil, nil, &Error{Code: FormErr}
		}
		m, err := c.ask(ctx, c.Servers[(start+i)%len(c.Servers)], q, id, retry, buf)
		if err != nil {
			continue // no answer from this server in time: the next one
		}
		resp, err := parse(m)
		if err != nil {
			return nil, nil, &Error{Code: FormErr}
		}
		if resp.rcode != 0 {
			return nil, nil, &Error{Code: resp.rcode}
		}
		return m, resp, nil
	}
	return nil, nil, &Error{Code: TimedOut}
}

// ask sends q to server and waits up to retry for its answer.
func (c *Client) ask(ctx context.Context, server string, q []byte, id uint16, retry time.Duration, buf []byte) ([]byte, error) {
	dial := c.Dial
	if dial == nil {
		dial = (&net.Dialer{}).DialContext
	}
	ctx, cancel := context.WithTimeout(ctx, retry)
	defer cancel()
	conn, err := dial(ctx, "udp", server)
	if err != nil {
		<-ctx.Done() // a refused server still waits its turn, not a busy loop
		return nil, err
	}
	defer conn.Close()
	if d, ok := ctx.Deadline(); ok {
		conn.SetDeadline(d)
	}
	if _, err := conn.Write(q); err != nil {
		<-ctx.Done()
		return nil, err
	}
	for {
		n, err := conn.Read(buf)
		if err != nil {
			// A refused port (ICMP) fails the read at once; waiting out
			// the retry keeps a dead server from spinning the loop.
			<-ctx.Done()
			return nil, err
		}
		if n >= 2 && uint16(buf[0])<<8|uint16(buf[1]) == id {
			return append([]byte(nil), buf[:n]...), nil
		}
	}
}
