package server

import "github.com/straitproxy/strait/internal/upstream"

// livePeers lists the peers of groups: (group, address) pairs and the
// addresses alone.
func livePeers(groups []*upstream.Group) (map[peerKey]bool, map[string]bool) {
	keys, addrs := map[peerKey]bool{}, map[string]bool{}
	for _, g := range groups {
		for _, p := range g.Peers() {
			keys[peerKey{g.Name(), p.Addr}] = true
			addrs[p.Addr] = true
		}
	}
	return keys, addrs
}

// prune drops the per-peer counters of peers that are no longer in any
// group of the running configuration, so the maps follow the peer set as
// reloads and DNS change it instead of only growing. Counters of peers
// that stay carry on. A session of an old configuration that ends later
// may add a removed peer back; the next prune drops it again.
func (c *statsCollector) prune(groups []*upstream.Group) {
	keys, addrs := livePeers(groups)
	c.mu.Lock()
	for k := range c.byPeer {
		if !keys[k] {
			delete(c.byPeer, k)
		}
	}
	for a := range c.peers {
		if !addrs[a] {
			delete(c.peers, a)
		}
	}
	c.mu.Unlock()
	c.tls.mu.Lock()
	for k := range c.tls.notAfter {
		if !keys[k] {
			delete(c.tls.notAfter, k)
		}
	}
	c.tls.mu.Unlock()
}
