package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/straitproxy/strait/internal/accesslog"
	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/proxy"
	"github.com/straitproxy/strait/internal/tlsconf"
	"github.com/straitproxy/strait/internal/upstream"
	"github.com/straitproxy/strait/internal/vars"
)

// snapshot is the immutable runtime built from one configuration: server
// blocks with their upstream groups, TLS clients, logs and limits, and the
// routing from listening sockets to blocks. Sessions keep the snapshot they
// started with.
type snapshot struct {
	cfg     *config.Config
	log     *slog.Logger // main error log
	blocks  []*block
	groups  []*upstream.Group // every upstream group, for the status endpoint
	routes  map[string]*route // by bindAddr.key()
	zones   map[string]*connZone
	vars    *streamVars      // variable registry and compiled expressions
	files   *accesslog.Files // this snapshot's access log files
	errLogs *errorLogs       // this snapshot's error log files; nil until build opens them
	// clientTLS holds the shared session caches and key log files of
	// the listen ... ssl blocks.
	clientTLS clientTLSResources

	maxConns        int
	shutdownTimeout time.Duration

	// ctx is cancelled to cut the snapshot's sessions (worker_shutdown_timeout,
	// Close); its cause says which, as for Server.rootCtx.
	ctx    context.Context
	cancel context.CancelCauseFunc

	mu       sync.Mutex
	active   int
	retired  bool
	drained  chan struct{}
	released bool
	// stopWatch stops the watcher of the snapshot's proxy_ssl files;
	// nil when none runs.
	stopWatch func()
	// health are the block's health checks; stopChecks stops them
	// (guarded by mu like stopWatch).
	health     []healthRun
	stopChecks func()
	// dns are the groups following DNS; stopDNS stops them (guarded
	// by mu like stopWatch).
	dns     []dnsRun
	stopDNS func()
}

// block is one server {} block.
type block struct {
	cfg     *config.Server
	handler *proxy.Handler // nil when return or a proxy_pass with variables serves the block
	pass    *passByValue   // proxy_pass with variables; nil otherwise
	ret     *vars.Expr     // the return value; nil when proxy_pass serves it
	// handoff is the pass directive serving the block, handoffValue its
	// address when it has variables; nil otherwise.
	handoff      *config.Pass
	handoffValue *vars.Expr
	sets         []setStep
	realIP       []config.RealIPFrom
	access       []accessRule
	limits       []connLimit
	logs         []*accesslog.Log
	log          *slog.Logger
	tls          *tlsconf.Client // nil without proxy_ssl
	// clientTLS terminates TLS on listen ... ssl; nil when the block has
	// no ssl_certificate (and no ssl_reject_handshake).
	clientTLS *tlsconf.Server
	stats     *blockCounters // sessions and bytes, for /status
}

// groupName is the upstream group a block proxies to, "" for return.
func (b *block) groupName() string {
	if b.handler == nil {
		return ""
	}
	return b.handler.Group.Name()
}

// route maps a listening socket to the blocks it serves: the block whose
// listen matches the local address exactly, else the wildcard's block.
type route struct {
	bind     bindAddr
	wildcard *binding
	exact    map[string]*binding // local "ip:port"
}

// binding is one listen address (one port of a listen directive) and
// the blocks listening on it: nginx's ngx_stream_addr_conf_t.
type binding struct {
	block  *block // the default server: default_server, else the first
	listen config.Listen
	text   string // nginx's addr_text of the listen, for "connected to"
	// ssl and proxyProtocol hold when any listen on the address has the
	// parameter, as nginx merges them.
	ssl, proxyProtocol bool
	// servers are the blocks on the address in configuration order;
	// names picks among them, nil when there is nothing to pick.
	servers []*block
	names   *vars.ServerNames
}

// lookup finds the binding for a connection accepted on socket key.
func (s *snapshot) lookup(key string, local net.Addr) *binding {
	r, ok := s.routes[key]
	if !ok {
		return nil
	}
	if len(r.exact) > 0 {
		if t, ok := local.(*net.TCPAddr); ok {
			ap := t.AddrPort()
			key := netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()).String()
			if b, ok := r.exact[key]; ok {
				return b
			}
		}
	}
	return r.wildcard
}

// tryAcquire counts a new session unless the snapshot has been replaced.
func (s *snapshot) tryAcquire() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.retired {
		return false
	}
	s.active++
	return true
}

func (s *snapshot) releaseSession() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.active--
	if s.retired && s.active == 0 {
		close(s.drained)
	}
}

// retire marks the snapshot replaced; drained closes once its last session
// ends.
func (s *snapshot) retire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.retired {
		return
	}
	s.retired = true
	if s.active == 0 {
		close(s.drained)
	}
}

// closeResources closes the snapshot's log files once nothing uses them.
func (s *snapshot) closeResources() {
	s.mu.Lock()
	if s.released {
		s.mu.Unlock()
		return
	}
	s.released = true
	s.mu.Unlock()
	s.unwatch()
	s.cancel(nil)
	s.files.CloseAll()
	s.clientTLS.close()
	s.errLogs.release()
}

// reopenLogs reopens every log file of the snapshot (USR1).
func (s *snapshot) reopenLogs() error {
	return errors.Join(s.files.ReopenAll(), s.errLogs.reopen())
}
