package tlsconf

import (
	"bytes"
	"container/list"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"fmt"
	"sync"
	"time"

	"github.com/straitproxy/strait/internal/config"
)

// Session resumption with clients. crypto/tls resumes by ticket only (it
// has no session ID cache), so strait maps nginx's settings onto tickets:
//
//   - ssl_session_tickets on: stateless tickets, encrypted with the keys
//     of ssl_session_ticket_key (or random keys made at load, as nginx
//     does), whatever ssl_session_cache says;
//   - ssl_session_tickets off with a builtin or shared cache: stateful
//     tickets, whose only content is a random ID of a session kept in the
//     cache, as OpenSSL issues for TLS 1.3 with SSL_OP_NO_TICKET;
//   - otherwise no resumption.
//
// Every session carries, in SessionState.Extra, when it was made (so
// ssl_session_timeout holds however it is stored), its $ssl_session_id,
// and the profile it was made under: like nginx's session ID context,
// derived from the certificates, it keeps one block from resuming
// another's sessions when they share a cache or ticket keys, and also
// covers the client verification settings.

// extraTag starts strait's entry of SessionState.Extra.
var extraTag = []byte("strait-session-1")

type sessions struct {
	timeout time.Duration
	cache   *SessionCache // nil: stateless tickets
	profile [32]byte
	now     func() time.Time
}

// statefulSessions reports whether s keeps sessions in a cache behind
// stateful tickets: tickets off with a builtin or shared cache.
func statefulSessions(s config.ClientTLS) bool {
	return !s.SessionTickets && (s.SessionCache.Mode == "builtin" || s.SessionCache.Mode == "shared")
}

// newSessions sets cfg up for resumption under one material: cache is the
// Server's (nil for stateless tickets), random the ticket key used
// without ssl_session_ticket_key.
func newSessions(s config.ClientTLS, cache *SessionCache, random [32]byte, cfg *tls.Config, store []*x509.Certificate, now func() time.Time) (*sessions, error) {
	ss := &sessions{timeout: s.SessionTimeout, now: now, profile: profileOf(s, cfg.Certificates, store)}
	stateful := statefulSessions(s)
	if !s.SessionTickets && !stateful {
		cfg.SessionTicketsDisabled = true
		return ss, nil
	}
	if stateful {
		ss.cache = cache
	}
	keys, err := ticketKeys(s.SessionTicketKeys, random)
	if err != nil {
		return nil, err
	}
	// Explicit keys also make every per-handshake clone of the config
	// share them; Go's automatic keys would be made per clone.
	cfg.SetSessionTicketKeys(keys)
	return ss, nil
}

// ticketKeys reads nginx's ssl_session_ticket_key files: 48 bytes (name,
// HMAC and AES-128 keys) or 80 bytes (name, HMAC and AES-256 keys). Go's
// ticket format differs from OpenSSL's, so each file is hashed into one
// Go key: tickets never pass between nginx and strait, but the files'
// roles stay (the first encrypts, all decrypt) and the same files give
// the same keys across reloads, rotations and processes. Without files,
// random: the Server's key, made once, so that rotating its certificates
// does not change it.
func ticketKeys(files []string, random [32]byte) ([][32]byte, error) {
	if len(files) == 0 {
		return [][32]byte{random}, nil
	}
	var keys [][32]byte
	for _, f := range files {
		data, err := readFile(f)
		if err != nil {
			return nil, fmt.Errorf("cannot load session ticket key %q: %w", f, err)
		}
		if len(data) != 48 && len(data) != 80 {
			return nil, fmt.Errorf("%q must be 48 or 80 bytes", f)
		}
		keys = append(keys, sha256.Sum256(append([]byte("strait ticket key\x00"), data...)))
	}
	return keys, nil
}

// profileOf digests what a session's trust depends on: the certificates
// served (their content, as nginx's session ID context), the client
// verification settings and trust anchors.
func profileOf(s config.ClientTLS, served []tls.Certificate, store []*x509.Certificate) [32]byte {
	h := sha256.New()
	for _, c := range served {
		for _, der := range c.Certificate {
			fmt.Fprintf(h, "cert %x\n", sha256.Sum256(der))
		}
	}
	for _, c := range store {
		fmt.Fprintf(h, "anchor %x\n", sha256.Sum256(c.Raw))
	}
	fmt.Fprintf(h, "verify %q %q %d\n", s.VerifyClient, s.CRL, s.VerifyDepth)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// wrap stores a new session: in the cache for stateful tickets, else
// encrypted in the ticket.
func (ss *sessions) wrap(cfg *tls.Config, st *handshakeState, cs tls.ConnectionState, s *tls.SessionState) ([]byte, error) {
	now := ss.now()
	s.Extra = append(s.Extra, ss.encodeExtra(now, st.sessionID()))
	if ss.cache == nil {
		return cfg.EncryptTicket(cs, s)
	}
	b, err := s.Bytes()
	if err != nil {
		return nil, err
	}
	id := make([]byte, 32)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	ss.cache.put(string(id), b, now.Add(ss.timeout))
	return id, nil
}

// unwrap finds the session a client offers; nil, nil means a full
// handshake.
func (ss *sessions) unwrap(cfg *tls.Config, st *handshakeState, identity []byte, cs tls.ConnectionState) (*tls.SessionState, error) {
	var s *tls.SessionState
	if ss.cache == nil {
		var err error
		if s, err = cfg.DecryptTicket(identity, cs); err != nil || s == nil {
			return nil, nil
		}
	} else {
		b := ss.cache.get(string(identity), ss.now())
		if b == nil {
			return nil, nil
		}
		var err error
		if s, err = tls.ParseSessionState(b); err != nil {
			return nil, nil
		}
	}
	made, id, ok := ss.decodeExtra(s.Extra)
	if !ok || ss.now().Sub(made) > ss.timeout {
		return nil, nil
	}
	st.id = id
	return s, nil
}

func (ss *sessions) encodeExtra(made time.Time, id []byte) []byte {
	b := append([]byte(nil), extraTag...)
	b = append(b, ss.profile[:]...)
	b = binary.BigEndian.AppendUint64(b, uint64(made.UnixNano()))
	return append(b, id...)
}

func (ss *sessions) decodeExtra(extra [][]byte) (made time.Time, id []byte, ok bool) {
	for _, e := range extra {
		rest, found := bytes.CutPrefix(e, extraTag)
		if !found || len(rest) < 32+8 {
			continue
		}
		if !bytes.Equal(rest[:32], ss.profile[:]) {
			return time.Time{}, nil, false
		}
		made = time.Unix(0, int64(binary.BigEndian.Uint64(rest[32:40])))
		return made, append([]byte(nil), rest[40:]...), true
	}
	return time.Time{}, nil, false
}

// SessionCache keeps sessions for stateful tickets: one per server block
// (builtin), or one per ssl_session_cache shared:NAME zone, shared by
// every block naming it. Oldest entries go first when it is full.
type SessionCache struct {
	mu    sync.Mutex
	max   int
	byID  map[string]*list.Element
	order list.List // front: newest
}

type cacheEntry struct {
	id      string
	state   []byte
	expires time.Time
}

// bytesPerSession is nginx's estimate: one megabyte of shared cache holds
// about 4000 sessions.
const bytesPerSession = 256

// NewSessionCache makes a cache of n sessions (at least one).
func NewSessionCache(n int) *SessionCache {
	return &SessionCache{max: max(n, 1), byID: map[string]*list.Element{}}
}

// NewSharedSessionCache makes the cache of a shared:NAME:SIZE zone.
func NewSharedSessionCache(size int) *SessionCache { return NewSessionCache(size / bytesPerSession) }

func (c *SessionCache) put(id string, state []byte, expires time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.byID[id] = c.order.PushFront(&cacheEntry{id: id, state: state, expires: expires})
	for c.order.Len() > c.max {
		e := c.order.Back()
		c.order.Remove(e)
		delete(c.byID, e.Value.(*cacheEntry).id)
	}
}

func (c *SessionCache) get(id string, now time.Time) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byID[id]
	if !ok {
		return nil
	}
	ent := e.Value.(*cacheEntry)
	if now.After(ent.expires) {
		c.order.Remove(e)
		delete(c.byID, id)
		return nil
	}
	return ent.state
}

// Len is the number of sessions held.
func (c *SessionCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
