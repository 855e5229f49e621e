package syslog

import (
	"errors"
	"net"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Facilities are the syslog facility names nginx accepts, in code order
// (kern is 0, local7 is 23).
var Facilities = []string{
	"kern", "user", "mail", "daemon", "auth", "intern", "lpr", "news", "uucp",
	"clock", "authpriv", "ftp", "ntp", "audit", "alert", "cron", "local0",
	"local1", "local2", "local3", "local4", "local5", "local6", "local7",
}

// Severities are the severity names nginx accepts, in code order (emerg is
// 0, debug is 7). nginx spells them as its error_log levels, not as
// syslog's err and warning.
var Severities = []string{"emerg", "alert", "crit", "error", "warn", "notice", "info", "debug"}

// Defaults nginx applies when a target leaves a field out.
const (
	DefaultFacility = 23 // local7
	DefaultSeverity = 6  // info
	DefaultPort     = 514
	DefaultTag      = "nginx"
)

// Options describe one syslog target.
type Options struct {
	// Network is "udp" or "unixgram"; Addr is "ip:port" or a socket path.
	Network, Addr string
	Facility      int
	Severity      int // used by Send; error log lines bring their own
	Tag           string
	NoHostname    bool
	// Hostname goes into every header (unless NoHostname); nginx uses
	// the lower-cased gethostname().
	Hostname string
	// Now is the clock of the header timestamp; nil means time.Now.
	Now func() time.Time
	// Dial opens the socket; nil means net.Dial. Tests inject failures.
	Dial func(network, addr string) (net.Conn, error)
}

// Peer is one syslog target. It is safe for concurrent use: each send
// is one non-blocking system call under a short lock.
type Peer struct {
	opts Options
	bufs sync.Pool // *[]byte

	mu       sync.Mutex
	conn     net.Conn // nil until the first send, and after a failed one
	closed   bool
	failures failureReports
}

// New returns a peer for opts. It opens no socket: like nginx, the socket
// is connected on the first send, and again after a send fails, so a
// syslog daemon that restarts (a new /dev/log) is found again.
func New(opts Options) *Peer {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Dial == nil {
		opts.Dial = net.Dial
	}
	return &Peer{opts: opts, failures: newFailureReports(serverName(opts))}
}

// serverName names the target in reports as nginx does: "ip:port", or
// "unix:/path".
func serverName(o Options) string {
	if o.Network == "unixgram" {
		return "unix:" + o.Addr
	}
	return o.Addr
}

// AppendHeader appends the RFC 3164 header nginx writes
// (ngx_syslog_add_header): "<PRI>Mmm dd hh:mm:ss HOSTNAME TAG: ", the day
// padded with a space, in local time like nginx's cached syslog time.
func (p *Peer) AppendHeader(b []byte, severity int, t time.Time) []byte {
	b = append(b, '<')
	b = strconv.AppendInt(b, int64(p.opts.Facility*8+severity), 10)
	b = append(b, '>')
	b = t.AppendFormat(b, "Jan _2 15:04:05")
	b = append(b, ' ')
	if !p.opts.NoHostname {
		b = append(b, p.opts.Hostname...)
		b = append(b, ' ')
	}
	b = append(b, p.opts.Tag...)
	return append(b, ": "...)
}

// Log sends msg (one access log line, without a newline) under a header
// at the target's own severity, timed now. It returns the failure to
// report for this call, or nil (see SendRaw).
func (p *Peer) Log(msg []byte) error {
	bp := p.buffer()
	b := p.AppendHeader(*bp, p.opts.Severity, p.opts.Now())
	b = append(b, msg...)
	err := p.SendRaw(b)
	*bp = b
	p.release(bp)
	return err
}

// SendRaw sends one complete datagram. It never waits: a send the socket
// cannot take at once (a full unix socket queue) fails, the line is lost
// and the session goes on, as in nginx, whose syslog socket is
// non-blocking. It returns the failure to report for this call, or nil;
// reports are spaced (see failureReports), so nil does not mean the
// datagram was delivered: UDP never says.
func (p *Peer) SendRaw(dgram []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	err := p.sendLocked(dgram)
	if err == nil {
		return p.failures.succeeded()
	}
	if p.conn != nil {
		// nginx closes the socket after a failed send and connects again
		// next time.
		p.conn.Close()
		p.conn = nil
	}
	return p.failures.failed(p.opts.Now(), err)
}

func (p *Peer) sendLocked(dgram []byte) *opError {
	if p.conn == nil {
		c, err := p.opts.Dial(p.opts.Network, p.opts.Addr)
		if err != nil {
			return &opError{op: "connect()", err: err}
		}
		p.conn = c
	}
	n, err := writeNow(p.conn, dgram)
	if err != nil {
		return &opError{op: "send()", err: err}
	}
	if n != len(dgram) {
		return &opError{op: "send()", incomplete: [2]int{n, len(dgram)}}
	}
	return nil
}

// writeNow writes b with one system call that does not wait for the
// socket to become writable. net.Conn.Write would park the goroutine
// until a full unix datagram queue drains, which would hold up the
// session that is logging.
func writeNow(c net.Conn, b []byte) (int, error) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return c.Write(b)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return 0, err
	}
	var n int
	var werr error
	err = rc.Write(func(fd uintptr) bool {
		n, werr = syscall.Write(int(fd), b)
		return true // done, even on EAGAIN: never wait
	})
	if err == nil {
		err = werr
	}
	if n < 0 {
		n = 0
	}
	return n, err
}

// Close closes the socket; later sends are dropped.
func (p *Peer) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.conn == nil {
		return nil
	}
	err := p.conn.Close()
	p.conn = nil
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

func (p *Peer) buffer() *[]byte {
	if b, ok := p.bufs.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, 512)
	return &b
}

func (p *Peer) release(b *[]byte) {
	if cap(*b) > 64<<10 {
		return
	}
	*b = (*b)[:0]
	p.bufs.Put(b)
}
