// Package metrics owns strait's observability endpoint (status_listen): a
// Prometheus collector that reads the server's counters at scrape time,
// the /status JSON view of the same data, the record of configuration
// reloads, and the HTTP listener that serves both and survives reloads.
//
// It is the only importer of the Prometheus client library. The server
// fills a Snapshot (plain data, defined here) when asked; nothing on the
// session path calls into this package.
package metrics
