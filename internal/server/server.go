package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/straitproxy/strait/internal/config"
	"github.com/straitproxy/strait/internal/errlog"
	"github.com/straitproxy/strait/internal/proxy"
	"github.com/straitproxy/strait/internal/tlsconf"
)

// Options are the Server's dependencies.
type Options struct {
	// Logger receives every error log line; nil builds loggers from the
	// configuration's error_log targets.
	Logger *slog.Logger
	// ProcessLog, when set, is pointed at the main error_log of the
	// configuration the server runs: by New, and by each successful
	// Reload once the new configuration has taken over. The process's
	// own messages logged through it so share the files the sessions
	// write to and follow error_log across reloads. It keeps the files
	// it points at open until the next switch or its Close, which the
	// owner calls after its last message.
	ProcessLog *errlog.Switch
	// Stderr is where "error_log stderr" writes; nil means os.Stderr.
	Stderr   io.Writer
	Hostname string // $hostname
	PID      int    // $pid and the error log's pid
	Version  string // $nginx_version
	// Now is the clock for logs, balancing and certificate expiry
	// warnings; nil means time.Now.
	Now func() time.Time
	// Inherited are listening sockets opened before New, by a parent
	// process (see cli's STRAIT variable) or by a test that bound
	// 127.0.0.1:0 and wrote the address it got into the configuration.
	// New uses each one whose local address a listen directive binds
	// instead of binding that address, and closes the rest; it owns all
	// of them, whether it succeeds or not.
	Inherited []net.Listener
	// InheritedPackets are UDP sockets opened before New, used and owned
	// the same way for "listen ... udp".
	InheritedPackets []net.PacketConn
	// Descriptors returns the open-files limit (RLIMIT_NOFILE) and how
	// many descriptors the process has open, read when serving starts and
	// at each reload; limit 0 means unknown, and only worker_connections
	// bounds sessions then. nil asks the system (Linux only).
	Descriptors func() (limit, open int)
	// TLSPollInterval is how often the TLS files (proxy_ssl_* and those
	// of listen ... ssl) are checked for changes; zero means
	// tlsconf.DefaultWatchInterval.
	TLSPollInterval time.Duration
	// TLSPollTicks, when set, replaces that ticker (tests).
	TLSPollTicks <-chan time.Time
	// HealthTicks, when set, starts each round of health checks after
	// the first on a tick instead of after the check's interval (tests).
	HealthTicks <-chan time.Time
}

// ErrServerClosed is returned by Serve and Reload after Shutdown or Close.
var ErrServerClosed = errors.New("server closed")

// Server owns the listening sockets and the current configuration
// snapshot, and runs sessions on them.
type Server struct {
	opts Options
	// rootCtx is cancelled to cut every session; its cause says why:
	// proxy.ErrShutdownTimeout or ErrServerClosed (a fast stop).
	rootCtx    context.Context
	rootCancel context.CancelCauseFunc
	pools      *poolSet
	stats      *statsCollector
	table      *connTable         // worker_connections and the open-files limit
	pipes      *proxy.PipePool    // splice pipes, counted in table
	engine     *proxy.Engine      // event loops for plain sessions; nil: goroutines
	expiry     *tlsconf.ExpiryLog // expiry warnings logged today, across reloads
	cur        atomic.Pointer[snapshot]
	connSeq    atomic.Uint64

	mu        sync.Mutex // serializes Reload and stopping; guards the fields below
	listeners map[string]*listener
	live      map[*snapshot]struct{} // the current snapshot and those draining
	serving   bool
	stopping  bool

	loops    sync.WaitGroup // accept loops
	sessions sync.WaitGroup
	bg       sync.WaitGroup // snapshot drainers
	stopOnce sync.Once
	stopped  chan struct{}
}

// listener is one bound socket and its accept loop, or for UDP its read
// loop and the sessions of its clients.
type listener struct {
	key    string
	text   string       // nginx's addr_text, for "server:" in log lines
	ln     net.Listener // nil for a UDP socket
	pc     *net.UDPConn // the UDP socket; nil for TCP and unix
	udp    *udpSessions // the UDP sessions by client address; nil for TCP and unix
	closed atomic.Bool
	paused atomic.Bool   // see PauseAccepting
	done   chan struct{} // closed by close
}

func newListener(key, text string, ln net.Listener) *listener {
	return &listener{key: key, text: text, ln: ln, done: make(chan struct{})}
}

func newPacketListener(key, text string, pc *net.UDPConn) *listener {
	return &listener{key: key, text: text, pc: pc, udp: newUDPSessions(), done: make(chan struct{})}
}

// addr is the socket's local address.
func (l *listener) addr() net.Addr {
	if l.pc != nil {
		return l.pc.LocalAddr()
	}
	return l.ln.Addr()
}

func (l *listener) close() {
	if l.closed.CompareAndSwap(false, true) {
		close(l.done)
		if l.pc != nil {
			l.pc.Close()
		} else {
			l.ln.Close()
		}
	}
}

// New builds the runtime for cfg and binds every listener; sessions start
// with Serve.
func New(cfg *config.Config, opts Options) (_ *Server, err error) {
	s := &Server{
		opts:      opts,
		pools:     &poolSet{},
		stats:     newStatsCollector(),
		listeners: map[string]*listener{},
		live:      map[*snapshot]struct{}{},
		stopped:   make(chan struct{}),
		expiry:    tlsconf.NewExpiryLog(),
	}
	s.table = newConnTable()
	s.pipes = proxy.NewPipePool(max(4, 2*runtime.GOMAXPROCS(0)), s.table)
	s.table.onConnsShort, s.table.onFDsShort, s.table.trim = s.logConnsShort, s.logFDsShort, s.pipes.Trim
	// Without the engine (not Linux, or no epoll) sessions run on
	// goroutines, as they always can.
	if s.engine, err = proxy.NewEngine(runtime.GOMAXPROCS(0)); err != nil {
		s.engine = nil
	}
	defer func() {
		if err != nil && s.engine != nil {
			s.engine.Close()
		}
	}()
	s.rootCtx, s.rootCancel = context.WithCancelCause(context.Background())
	snap, err := s.build(cfg, nil)
	if err != nil {
		for _, ln := range opts.Inherited {
			ln.Close()
		}
		for _, pc := range opts.InheritedPackets {
			pc.Close()
		}
		s.rootCancel(nil)
		return nil, err
	}
	adopted, err := adoptInherited(snap, opts.Inherited, opts.InheritedPackets)
	if err != nil {
		snap.closeResources()
		s.rootCancel(nil)
		return nil, err
	}
	s.listeners = adopted
	opened, err := s.openListeners(snap)
	if err != nil {
		for _, l := range adopted {
			l.close()
		}
		snap.closeResources()
		s.rootCancel(nil)
		return nil, err
	}
	maps.Copy(s.listeners, opened)
	s.opts.Inherited, s.opts.InheritedPackets = nil, nil // adopted or closed: the server owns them now
	s.cur.Store(snap)
	s.live[snap] = struct{}{}
	snap.errLogs.publish(opts.ProcessLog)
	s.watch(snap)
	s.startChecks(snap)
	s.startDNS(snap)
	return s, nil
}

// openListeners binds the sockets snap routes that are not open yet. On
// error it closes what it opened.
func (s *Server) openListeners(snap *snapshot) (map[string]*listener, error) {
	opened := map[string]*listener{}
	keys := make([]string, 0, len(snap.routes))
	for k := range snap.routes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, ok := s.listeners[k]; ok {
			continue
		}
		r := snap.routes[k]
		l, err := openListener(k, r.bind)
		if err != nil {
			for _, l := range opened {
				l.close()
			}
			return nil, err
		}
		opened[k] = l
	}
	return opened, nil
}

// Serve runs the accept loops and returns once the server has been stopped
// and drained.
func (s *Server) Serve() error {
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		return ErrServerClosed
	}
	s.serving = true
	s.applyLimits(s.cur.Load())
	for _, l := range s.listeners {
		s.startLoop(l)
	}
	s.mu.Unlock()
	<-s.stopped
	return nil
}

// Addrs returns the bound listener addresses, sorted by configuration key.
func (s *Server) Addrs() []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.listeners))
	for k := range s.listeners {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]net.Addr, 0, len(keys))
	for _, k := range keys {
		out = append(out, s.listeners[k].addr())
	}
	return out
}

// Shutdown stops accepting and waits for running sessions until ctx is
// done (or worker_shutdown_timeout passes), then cuts the rest.
func (s *Server) Shutdown(ctx context.Context) error {
	cur := s.beginStop()
	done := make(chan struct{})
	go func() {
		s.sessions.Wait()
		close(done)
	}()
	var timeout <-chan time.Time
	if cur.shutdownTimeout > 0 {
		t := time.NewTimer(cur.shutdownTimeout)
		defer t.Stop()
		timeout = t.C
	}
	var err error
	select {
	case <-done:
	case <-timeout:
		s.rootCancel(proxy.ErrShutdownTimeout)
		<-done
	case <-ctx.Done():
		err = ctx.Err()
		s.rootCancel(proxy.ErrShutdownTimeout)
		<-done
	}
	s.finishStop()
	return err
}

// Close stops at once: listeners close and every session is cut.
func (s *Server) Close() error {
	s.beginStop()
	s.rootCancel(ErrServerClosed)
	s.sessions.Wait()
	s.finishStop()
	return nil
}

// beginStop closes the listeners and waits for the accept loops, so no
// session starts afterwards. It returns the current snapshot.
func (s *Server) beginStop() *snapshot {
	s.mu.Lock()
	s.stopping = true
	for _, l := range s.listeners {
		l.close()
	}
	s.mu.Unlock()
	s.table.wake()
	s.loops.Wait()
	return s.cur.Load()
}

// finishStop releases every snapshot once no session runs.
func (s *Server) finishStop() {
	s.stopOnce.Do(func() {
		s.rootCancel(ErrServerClosed)
		s.cur.Load().retire()
		s.bg.Wait()
		s.mu.Lock()
		for snap := range s.live {
			snap.closeResources()
			delete(s.live, snap)
		}
		s.mu.Unlock()
		if s.engine != nil {
			s.engine.Close()
		}
		s.pipes.Close()
		close(s.stopped)
	})
	<-s.stopped
}

// ReopenLogs reopens every access and error log file (USR1), including
// those of configurations still draining.
func (s *Server) ReopenLogs() error {
	s.mu.Lock()
	snaps := make([]*snapshot, 0, len(s.live))
	for snap := range s.live {
		snaps = append(snaps, snap)
	}
	s.mu.Unlock()
	var errs []error
	for _, snap := range snaps {
		errs = append(errs, snap.reopenLogs())
	}
	return errors.Join(errs...)
}

// applyLimits gives the connection table the limits of snap, with the
// listening sockets open now and the descriptors in use now; s.mu is held.
func (s *Server) applyLimits(snap *snapshot) {
	probe := s.opts.Descriptors
	if probe == nil {
		probe = systemDescriptors
	}
	limit, open := probe()
	s.table.setLimits(tableLimits{workerConnections: snap.maxConns, listeners: len(s.listeners), fileLimit: limit, openFiles: open})
	if limit > 0 && snap.maxConns > limit {
		snap.log.Warn(fmt.Sprintf("%d worker_connections exceed open file resource limit: %d", snap.maxConns, limit))
	}
}

func (s *Server) now() time.Time {
	if s.opts.Now != nil {
		return s.opts.Now()
	}
	return time.Now()
}
