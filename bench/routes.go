//go:build linux

package main

import (
	"fmt"
	"sort"
)

// Route names: each is one listener on a proxy and the upstream behind it.
const (
	routeRedisTLS   = "redis-tls"   // redis-server over mutual TLS
	routeRedisPlain = "redis-plain" // redis-server in clear text
	routePingResume = "ping-resume" // Go PING upstream, session reuse on
	routePingFull   = "ping-full"   // Go PING upstream, session reuse off
	routeEchoTLS    = "echo-tls"    // Go echo upstream over TLS
	routeSinkTLS    = "sink-tls"    // Go sink upstream over TLS
	routeSinkPlain  = "sink-plain"  // Go sink upstream in clear text
	routeDNSQuery   = "dns-query"   // Go DNS responder over UDP, a session per query
	routeDNSKeep    = "dns-keep"    // Go DNS responder over UDP, sessions kept while idle
)

// route is one proxied path: a proxy listens for plain TCP and forwards to
// Upstream, with mutual TLS when TLS is set.
type route struct {
	ID       string
	Upstream string // 127.0.0.1:port
	TLS      bool
	Reuse    bool // TLS session resumption to the upstream
	// UDP routes listen with "udp". Responses is their proxy_responses,
	// 0 for none (a session then lasts until proxy_timeout).
	UDP       bool
	Responses int
}

// routeTable is the set of routes every proxy is configured with.
type routeTable map[string]route

// sorted returns the routes in a stable order, for config files.
func (t routeTable) sorted() []route {
	out := make([]route, 0, len(t))
	for _, r := range t {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (t routeTable) get(id string) (route, error) {
	r, ok := t[id]
	if !ok {
		return route{}, fmt.Errorf("no route %q", id)
	}
	return r, nil
}

// listenPlan assigns a fresh loopback listen port to every route, a UDP
// one to UDP routes.
func listenPlan(t routeTable) (map[string]string, error) {
	out := make(map[string]string, len(t))
	for _, r := range t.sorted() {
		free := freePorts
		if r.UDP {
			free = freeUDPPorts
		}
		ports, err := free(1)
		if err != nil {
			return nil, err
		}
		out[r.ID] = fmt.Sprintf("127.0.0.1:%d", ports[0])
	}
	return out, nil
}
