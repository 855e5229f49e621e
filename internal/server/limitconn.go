package server

import (
	"fmt"
	"sync"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/vars"
)

// connZone is a limit_conn_zone: open-session counts per key. Zones with an
// unchanged name and key survive reloads, so sessions still running on an
// old configuration keep counting against the limit.
type connZone struct {
	name string
	key  string

	mu     sync.Mutex
	counts map[string]int
}

func newConnZone(z *config.LimitConnZone) *connZone {
	return &connZone{name: z.Name, key: z.Key, counts: make(map[string]int)}
}

// acquire counts one more session for key unless max is reached.
func (z *connZone) acquire(key string, max int) bool {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.counts[key] >= max {
		return false
	}
	z.counts[key]++
	return true
}

func (z *connZone) release(key string) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.counts[key]--; z.counts[key] <= 0 {
		delete(z.counts, key)
	}
}

// connLimit is one limit_conn line of a server block.
type connLimit struct {
	zone *connZone
	key  *vars.Expr // the zone's key, compiled against the snapshot's variables
	max  int
}

// heldLimit is a count taken by a session, released when it ends.
type heldLimit struct {
	zone *connZone
	key  string
}

// buildZones reuses zones from prev whose key is unchanged.
func buildZones(cfg map[string]*config.LimitConnZone, prev map[string]*connZone) map[string]*connZone {
	out := make(map[string]*connZone, len(cfg))
	for name, z := range cfg {
		if old, ok := prev[name]; ok && old.key == z.Key {
			out[name] = old
			continue
		}
		out[name] = newConnZone(z)
	}
	return out
}

func compileLimits(lines []config.LimitConn, zones map[string]*connZone, keys map[string]*vars.Expr) ([]connLimit, error) {
	out := make([]connLimit, 0, len(lines))
	for _, l := range lines {
		z, ok := zones[l.Zone]
		if !ok {
			return nil, fmt.Errorf("zone \"%s\" is unknown", l.Zone)
		}
		out = append(out, connLimit{zone: z, key: keys[l.Zone], max: l.Max})
	}
	return out, nil
}
