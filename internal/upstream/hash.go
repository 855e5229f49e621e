package upstream

import (
	"hash/crc32"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxMethodTries is how many fruitless draws the hash and random
// balancers make before handing the session over to round robin, as
// nginx's modules do ("tries > 20").
const maxMethodTries = 20

// modHash is ngx_stream_upstream_get_hash_peer: the key's CRC32, in the
// form Cache::Memcached uses, picks a point on the primaries' weights in
// config order; a peer that cannot be used is skipped by rehashing with
// the attempt number prefixed to the key.
type modHash struct {
	totalWeight uint32 // of every primary, down ones included, as nginx
}

func newModHash(set *peerSet) *modHash {
	h := &modHash{}
	for _, p := range set.primary {
		h.totalWeight += uint32(p.cfg.weight)
	}
	return h
}

func (h *modHash) pick(s *Selection, now time.Time) *Peer {
	set := s.set
	if s.methodTries > maxMethodTries || len(set.primary) < 2 || len(s.key) == 0 || s.onBackup {
		return roundRobin{}.pick(s, now)
	}
	var buf [20]byte
	for {
		// ((crc32([REHASH] KEY) >> 16) & 0x7fff) + PREV_HASH, REHASH
		// omitted the first time.
		c := crc32.NewIEEE()
		if s.rehash > 0 {
			c.Write(strconv.AppendInt(buf[:0], int64(s.rehash), 10))
		}
		c.Write(s.key)
		s.hash += (c.Sum32() >> 16) & 0x7fff
		s.rehash++

		w := s.hash % h.totalWeight
		i := 0
		for w >= uint32(set.primary[i].cfg.weight) {
			w -= uint32(set.primary[i].cfg.weight)
			i++
		}
		if p := set.primary[i]; !s.tried[i] && p.usable(now) {
			s.tried[i] = true
			markPicked(p, now)
			return p
		}
		if s.methodTries++; s.methodTries > maxMethodTries {
			return roundRobin{}.pick(s, now)
		}
	}
}

// chashPoint is one point of the consistent hash ring.
type chashPoint struct {
	hash   uint32
	server int // index of a distinct server name of the primaries
}

// consistentHash is ngx_stream_upstream_get_chash_peer: ketama, 160
// points per unit of weight for every primary, computed from the server
// as written ("host:port") exactly as nginx computes them, so a key
// reaches the server nginx would choose. The peers of the chosen server
// (a name may resolve to several addresses) share by smooth weighted
// round robin; an unusable server moves the key to the next point.
type consistentHash struct {
	points []chashPoint
}

func newConsistentHash(set *peerSet) *consistentHash {
	h := &consistentHash{}
	for _, p := range set.primary {
		base := crc32.Update(0, crc32.IEEETable, chashServerKey(p.Name))
		// crc32(HOST \0 PORT PREV_HASH), PREV_HASH the previous point's
		// hash as four little-endian bytes (nginx copies the integer
		// on little-endian machines and writes it so on others).
		var prev [4]byte
		for range p.cfg.weight * 160 {
			hash := crc32.Update(base, crc32.IEEETable, prev[:])
			h.points = append(h.points, chashPoint{hash: hash, server: p.cfg.server})
			prev = [4]byte{byte(hash), byte(hash >> 8), byte(hash >> 16), byte(hash >> 24)}
		}
	}
	// nginx sorts with qsort, which is not stable, then keeps the first
	// point of each run of equal hashes: with a duplicate hash between
	// two servers either may win. A stable sort keeps config order.
	slices.SortStableFunc(h.points, func(a, b chashPoint) int {
		switch {
		case a.hash < b.hash:
			return -1
		case a.hash > b.hash:
			return 1
		}
		return 0
	})
	h.points = slices.CompactFunc(h.points, func(a, b chashPoint) bool { return a.hash == b.hash })
	return h
}

// chashServerKey is "HOST\0PORT" of a server as written: "unix:" is
// dropped from a socket path, and the port is the digits after the last
// colon (a name without one has an empty port).
func chashServerKey(server string) []byte {
	host, port := server, ""
	if len(server) >= 5 && strings.EqualFold(server[:5], "unix:") {
		host = server[5:]
	} else if i := strings.LastIndexByte(server, ':'); i >= 0 &&
		strings.Trim(server[i+1:], "0123456789") == "" {
		host, port = server[:i], server[i+1:]
	}
	return []byte(host + "\x00" + port)
}

// start places the session on the ring: the first point at or after the
// CRC32 of the key.
func (h *consistentHash) start(key []byte) uint32 {
	hash := crc32.ChecksumIEEE(key)
	i, _ := slices.BinarySearchFunc(h.points, hash, func(p chashPoint, t uint32) int {
		switch {
		case p.hash < t:
			return -1
		case p.hash > t:
			return 1
		}
		return 0
	})
	return uint32(i)
}

func (h *consistentHash) pick(s *Selection, now time.Time) *Peer {
	set := s.set
	if s.methodTries > maxMethodTries || set.single || len(s.key) == 0 || s.onBackup {
		return roundRobin{}.pick(s, now)
	}
	if s.rehash == 0 {
		// The first pick of the session finds its point; nginx does
		// this when the session starts.
		s.hash, s.rehash = h.start(s.key), 1
	}
	for {
		server := h.points[s.hash%uint32(len(h.points))].server
		var best *Peer
		bestIdx, total := 0, 0
		for i, p := range set.primary {
			if s.tried[i] || p.cfg.server != server || !p.usable(now) {
				continue
			}
			st := p.st
			st.currentWeight += st.effectiveWeight
			total += st.effectiveWeight
			if st.effectiveWeight < p.cfg.weight {
				st.effectiveWeight++
			}
			if best == nil || st.currentWeight > best.st.currentWeight {
				best, bestIdx = p, i
			}
		}
		if best != nil {
			best.st.currentWeight -= total
			markPicked(best, now)
			s.tried[bestIdx] = true
			return best
		}
		s.hash++
		if s.methodTries++; s.methodTries > maxMethodTries {
			return roundRobin{}.pick(s, now)
		}
	}
}
