package metrics

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Options are a Service's dependencies.
type Options struct {
	Version    string    // strait's version, for build_info and /status
	ConfigFile string    // main configuration file, for /status
	Start      time.Time // process start; the first configuration's load time
	// Now is the clock for uptime; nil means time.Now.
	Now func() time.Time
	// Source returns the server's state; it is called once per request.
	Source func() Snapshot
	// Reloads records reloads; nil starts an empty log at Start.
	Reloads *ReloadLog
	// Logger receives errors met while serving; nil discards them.
	Logger *slog.Logger
}

// Service answers GET /metrics (Prometheus text format), GET /status
// (JSON) from one Source, and GET / with the status page that reads
// /status. It is an http.Handler.
type Service struct {
	opts    Options
	reloads *ReloadLog
	mux     *http.ServeMux
	policy  string // the status page's Content-Security-Policy
}

// NewService builds the handler and its private Prometheus registry (with
// Go runtime and process metrics beside strait's own).
func NewService(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Reloads == nil {
		o.Reloads = NewReloadLog(o.Start)
	}
	s := &Service{opts: o, reloads: o.Reloads, mux: http.NewServeMux(), policy: pagePolicy(statusPage)}
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		newCollector(o.Source, o.Reloads, o.Version),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      slogPrinter{o.Logger},
		ErrorHandling: promhttp.ContinueOnError,
	}))
	s.mux.HandleFunc("GET /status", s.serveStatus)
	s.mux.HandleFunc("GET /{$}", s.servePage)
	return s
}

// Reloads returns the log the caller records reloads in.
func (s *Service) Reloads() *ReloadLog { return s.reloads }

// ServeHTTP implements http.Handler.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Service) serveStatus(w http.ResponseWriter, _ *http.Request) {
	doc := newStatusDoc(s.opts, s.opts.Source(), s.reloads.Read())
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		s.opts.Logger.Info("writing /status failed: " + err.Error())
	}
}

// slogPrinter lets promhttp report encoding errors to the error log.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Println(v ...any) {
	p.log.Error("serving /metrics: " + fmt.Sprint(v...))
}
