package tlsconf

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/straitproxy/strait/internal/errlog"
)

// DefaultWatchInterval is how often a Watcher looks at the files.
const DefaultWatchInterval = 5 * time.Second

// A Watcher polls the files of a configuration's Clients (proxy_ssl_*)
// and Servers (listen ... ssl) and reloads one when its files change; it
// also logs expiry warnings for both.
//
// It polls rather than using inotify (fsnotify): certificates are
// replaced by renaming over the old file, by writing it in place, or, in
// Kubernetes, by swapping a "..data" symbolic link to a new directory.
// An inotify watch follows an inode, so renames and link swaps need
// watches on every directory along every link chain, re-established after
// each swap, and events are lost on network file systems. A stat of a
// handful of files every few seconds sees all of these the same way
// (resolved path, inode, size, modification time), costs nothing
// measurable and needs no dependency; ghostunnel polls for the same
// reasons. The price is up to two intervals' delay (see Poll).
type Watcher struct {
	opts   WatchOptions
	groups []*watchGroup
}

// WatchOptions are a Watcher's dependencies.
type WatchOptions struct {
	// Interval between polls; zero means DefaultWatchInterval.
	Interval time.Duration
	// Ticks, when set, replaces the ticker (tests).
	Ticks <-chan time.Time
	// Now is the clock for expiry warnings; nil means time.Now.
	Now func() time.Time
	// Logger receives reload errors and notices and expiry warnings; nil
	// discards them.
	Logger *slog.Logger
	// OnReload is called once per changed set of files with its side
	// and the outcome: nil error on success.
	OnReload func(side Side, files []string, err error)
	// Expiry remembers which expiry warnings were logged today; nil
	// gives the Watcher one of its own.
	Expiry *ExpiryLog
}

// Side tells which TLS profile a set of files belongs to.
type Side string

const (
	// SideUpstream is the proxy_ssl_* files of a Client.
	SideUpstream Side = "upstream"
	// SideClient is the ssl_* files of a listen ... ssl Server.
	SideClient Side = "client"
)

// directives names a side's files in the error log, in the words of the
// directives that name them.
func (s Side) directives() string {
	if s == SideClient {
		return "ssl"
	}
	return "proxy_ssl"
}

// watched is what a Watcher reloads: a Client or a Server.
type watched interface {
	Reload() error
	Certificates() ([]CertificateFact, []CRLFact)
	loadedStamp() stamp
}

// watchGroup is the profiles of one side that read the same files (server
// blocks sharing their files), reloaded together and reported once.
type watchGroup struct {
	side    Side
	files   []string
	members []watched
	loaded  stamp // the files' state when last loaded (or tried)
	seen    stamp // the files' state at the previous poll
}

// NewWatcher prepares a watcher over clients and servers; Start runs it.
func NewWatcher(clients []*Client, servers []*Server, o WatchOptions) *Watcher {
	if o.Interval <= 0 {
		o.Interval = DefaultWatchInterval
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.OnReload == nil {
		o.OnReload = func(Side, []string, error) {}
	}
	if o.Expiry == nil {
		o.Expiry = NewExpiryLog()
	}
	w := &Watcher{opts: o}
	byFiles := map[string]*watchGroup{}
	add := func(side Side, files []string, m watched) {
		if len(files) == 0 {
			return
		}
		key := string(side) + "\x00" + strings.Join(files, "\x00")
		g := byFiles[key]
		if g == nil {
			g = &watchGroup{side: side, files: files, loaded: m.loadedStamp()}
			byFiles[key] = g
			w.groups = append(w.groups, g)
		} else if !g.loaded.equal(m.loadedStamp()) {
			g.loaded = nil // loaded at different moments: reload all once settled
		}
		g.members = append(g.members, m)
	}
	for _, c := range clients {
		add(SideUpstream, c.files, c)
	}
	for _, srv := range servers {
		add(SideClient, srv.files, srv)
	}
	return w
}

// Start logs the expiry warnings due now and polls until stop is called;
// stop returns once the polling goroutine has ended.
func (w *Watcher) Start() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { w.run(ctx) })
	return func() {
		cancel()
		wg.Wait()
	}
}

func (w *Watcher) run(ctx context.Context) {
	w.warnExpiry()
	ticks := w.opts.Ticks
	if ticks == nil {
		t := time.NewTicker(w.opts.Interval)
		defer t.Stop()
		ticks = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticks:
			w.Poll()
		}
	}
}

// Poll looks at every file once, reloads the groups whose files changed
// and have stayed the same since the previous poll, and logs the expiry
// warnings that are due. Waiting for files to settle keeps a poll from
// reading a file half written in place, or a new certificate before its
// new key has been renamed into place.
func (w *Watcher) Poll() {
	logged := map[string]bool{} // one line per message and poll, for groups sharing a file
	for _, g := range w.groups {
		now := stampFiles(g.files)
		prev := g.seen
		g.seen = now
		if now.equal(g.loaded) || !now.equal(prev) {
			continue
		}
		changed := now.changed(g.loaded, g.files)
		g.loaded = now // tried once per change, whatever the outcome
		var err error
		for _, m := range g.members {
			if err = m.Reload(); err != nil {
				break
			}
		}
		w.opts.OnReload(g.side, g.files, err)
		var msg string
		level := errlog.LevelNotice
		if err != nil {
			level = errlog.LevelError
			msg = fmt.Sprintf("%v while reloading changed %s files, the previous ones stay in use", err, g.side.directives())
		} else {
			msg = "reloaded " + g.side.directives() + " files after a change of " + quoteList(changed)
		}
		if !logged[msg] {
			logged[msg] = true
			w.opts.Logger.Log(context.Background(), level, msg)
		}
	}
	w.warnExpiry()
}

// warnExpiry logs the expiry warnings of the certificates in use that are
// due today.
func (w *Watcher) warnExpiry() {
	now := w.opts.Now()
	for _, g := range w.groups {
		for _, m := range g.members {
			certs, crls := m.Certificates()
			for _, n := range expiryNotices(certs, crls, now) {
				if w.opts.Expiry.due(n.key, now) {
					w.opts.Logger.Log(context.Background(), errlog.LevelWarn, n.msg)
				}
			}
		}
	}
}

func quoteList(paths []string) string {
	q := make([]string, len(paths))
	for i, p := range paths {
		q[i] = fmt.Sprintf("%q", p)
	}
	return strings.Join(q, ", ")
}
